/*
 * bits.h - counting set bits on the scan path.
 *
 * The build targets the x86-64 baseline (no -mpopcnt), where
 * __builtin_popcountll is a call into libgcc's __popcountdi2 for every word:
 * the fuzzy engine counts about 640 words per message that way (its seen
 * bitmaps and linear-counting bitmaps), which cost 2-3 % of a scan
 * (docs/BENCHMARKS.md, "Engine speed since dd0087f"). This inline SWAR count
 * gives the same result with no call, and the compiler vectorises loops of it.
 *
 * Not for: anything but counting bits.
 */
#ifndef WHORL_BITS_H
#define WHORL_BITS_H

#include <stdint.h>

/* The number of set bits in x (0..64). */
static inline unsigned whorl_popcount64(uint64_t x)
{
#if defined(__POPCNT__)
	return (unsigned)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	/* Shifts, not a multiply: SSE2 has 64-bit adds and shifts, no 64-bit
	 * multiply, so a loop of these vectorises on the baseline. */
	x += x >> 8;
	x += x >> 16;
	x += x >> 32;
	return (unsigned)(x & 0x7f);
#endif
}

#endif
