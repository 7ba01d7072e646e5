/*
 * arena.c - bump allocator with reusable chunks (see arena.h).
 */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_CHUNK_MIN ((size_t)64 << 10)
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t cap;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char mem[];
};

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof(*a));
	a->limit = ARENA_MAX_BYTES;
}

static void chunks_free(struct arena_chunk *c)
{
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		ARENA_UNPOISON(c->mem, c->cap);
		free(c);
		c = next;
	}
}

void arena_destroy(struct arena *a)
{
	chunks_free(a->head);
	chunks_free(a->spare);
	a->head = a->spare = NULL;
	a->total = 0;
	a->charged = 0;
}

void arena_reset(struct arena *a)
{
	a->resets++;
	a->charged = 0;
	while (a->head != NULL) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
#ifdef ARENA_ASAN
		memset(c->mem, 0xA5 ^ (int)(a->resets & 0xFF), c->used);
#endif
		ARENA_POISON(c->mem, c->cap);
		c->used = 0;
		c->next = a->spare;
		a->spare = c;
	}
}

/* A chunk with room for n bytes: a spare one if it fits, else a new one. */
static struct arena_chunk *chunk_get(struct arena *a, size_t n)
{
	struct arena_chunk **pp = &a->spare;
	while (*pp != NULL) {
		if ((*pp)->cap >= n) {
			struct arena_chunk *c = *pp;
			*pp = c->next;
			return c;
		}
		pp = &(*pp)->next;
	}
	size_t cap = n > ARENA_CHUNK_MIN ? n : ARENA_CHUNK_MIN;
	struct arena_chunk *c = malloc(sizeof(*c) + cap);
	if (c == NULL)
		return NULL;
	ARENA_POISON(c->mem, cap);
	c->cap = cap;
	c->used = 0;
	a->total += cap;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (n > a->limit || a->limit - a->charged < n)
		return NULL;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (a->limit - a->charged < need)
		return NULL;
	struct arena_chunk *c = a->head;
	if (c == NULL || c->cap - c->used < need) {
		c = chunk_get(a, need);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->mem + c->used;
	c->used += need;
	a->charged += need;
	ARENA_UNPOISON(p, need);
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *arena_realloc(struct arena *a, void *p, size_t old_n, size_t new_n)
{
	if (new_n <= old_n)
		return p;
	struct arena_chunk *c = a->head;
	size_t old_need = (old_n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	size_t new_need = (new_n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	/* The latest block can grow in place; it is charged as a copy would be,
	 * so that the limit does not depend on where earlier scans left room. */
	if (p != NULL && c != NULL && (unsigned char *)p + old_need == c->mem + c->used &&
	    c->used - old_need + new_need <= c->cap) {
		if (new_n > a->limit || a->limit - a->charged < new_need)
			return NULL;
		a->charged += new_need;
		c->used = c->used - old_need + new_need;
		ARENA_UNPOISON(p, new_need);
		return p;
	}
	void *q = arena_alloc(a, new_n);
	if (q != NULL && p != NULL)
		memcpy(q, p, old_n);
	return q;
}
