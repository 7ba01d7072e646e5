/*
 * child_read_cost.c - what reading a file:// mirror file in a child
 * process costs (cartridge/update/child_read.c): microseconds per read of
 * one small file through child_read_run(), beside the same file read
 * directly (util/file_read_whole, the reference), while this process holds
 * 0, 256 MiB and 1 GiB of touched memory (fork copies page tables, so the
 * cost grows with the host's resident size).
 *
 *   child_read_cost [READS]     (default 200 reads per row)
 *
 * Prints one row per memory size; exits non-zero when a read fails.
 * Not a pass/fail test: figures for docs/UPDATES.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abi/whorl_cartridge.h"
#include "cartridge/update/child_read.h"
#include "cartridge/util/file_read.h"

#define FILE_BYTES 4096 /* about a manifest's size */

static int count_put(void *ctx, const uint8_t *bytes, size_t n)
{
	(void)bytes;
	*(size_t *)ctx += n;
	return 0;
}

static double child_us(const char *path, int reads)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < reads; k++) {
		size_t got = 0;
		struct child_read r = { .path = path,
			                .max = FILE_BYTES,
			                .deadline_ms = child_read_now_ms() + 10000,
			                .sink = count_put,
			                .ctx = &got };
		if (child_read_run(&r) != 0 || got != FILE_BYTES)
			return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
	       reads;
}

static double direct_us(const char *path, int reads)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < reads; k++) {
		char *data;
		size_t len;
		int why;
		if (file_read_whole(path, 0, FILE_BYTES, &data, &len, &why) != 0)
			return -1;
		free(data);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
	       reads;
}

int main(int argc, char **argv)
{
	static const size_t mib[] = { 0, 256, 1024 };
	int reads = argc > 1 ? atoi(argv[1]) : 200;
	char path[] = "/tmp/whorl-child-read-cost-XXXXXX";
	char block[FILE_BYTES];
	int fd = mkstemp(path), rc = 0;

	if (fd < 0 || reads < 1)
		return 2;
	memset(block, 'm', sizeof block);
	if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
		return 2;
	close(fd);
	printf("%-12s %14s %14s\n", "resident", "child us/read", "direct us/read");
	for (size_t i = 0; i < sizeof mib / sizeof mib[0]; i++) {
		size_t bytes = mib[i] << 20;
		char *hold = bytes ? malloc(bytes) : NULL;
		if (bytes && !hold)
			break;
		if (hold)
			memset(hold, 1, bytes); /* resident, not just reserved */
		double c = child_us(path, reads), d = direct_us(path, reads);
		printf("%8zu MiB %14.1f %14.1f\n", mib[i], c, d);
		rc |= c < 0 || d < 0;
		free(hold);
	}
	unlink(path);
	return rc;
}
