/*
 * copy.c - host-owned copies of what a cartridge returns from a scan.
 *
 * A verdict or fingerprint set is copied into one malloc'd block (struct,
 * arrays and strings together) and the cartridge's original is freed at
 * once, so a caller may keep the result across a swap that unloads the
 * cartridge that made it. One allocation per call.
 * ABI growth: a cartridge's struct may be shorter than the host's (built
 * before members were appended) or longer (built after). Only
 * min(its size, our sizeof) bytes are read; what the cartridge did not fill
 * reads as zero. Not for: anything else.
 */
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

/* Bytes to hold s with its NUL (1 for NULL: stored as ""). */
static size_t copy_strlen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 1;
}

static const char *copy_str(char **at, const char *s)
{
	char *dst = *at;
	size_t n = copy_strlen(s);

	if (s != NULL)
		memcpy(dst, s, n);
	else
		dst[0] = '\0';
	*at += n;
	return dst;
}

/* The first min(size, ours) bytes of a struct of `size` bytes, the rest zero. */
static void copy_prefix(void *dst, size_t ours, const void *src, size_t size)
{
	size_t n = size < ours ? size : ours;

	memcpy(dst, src, n);
	memset((char *)dst + n, 0, ours - n);
}

int copy_verdict(const struct whorl_verdict *v, struct whorl_verdict **out)
{
	struct whorl_verdict head;
	size_t na, nc, ns;
	struct whorl_verdict *c;
	char *at;

	if (v->size < WHORL_VERDICT_MIN_SIZE)
		return WHORL_EABI;
	copy_prefix(&head, sizeof(head), v, v->size);
	na = copy_strlen(head.analysis);
	nc = copy_strlen(head.category_desc);
	ns = copy_strlen(head.subcategory_desc);
	c = malloc(sizeof(*c) + na + nc + ns);
	if (c == NULL)
		return WHORL_ENOMEM;
	*c = head;
	c->size = sizeof(*c);
	at = (char *)(c + 1);
	c->analysis = copy_str(&at, head.analysis);
	c->category_desc = copy_str(&at, head.category_desc);
	c->subcategory_desc = copy_str(&at, head.subcategory_desc);
	*out = c;
	return 0;
}

/* Bytes of the sketch payloads. */
static size_t copy_sketch_bytes(const struct whorl_fpset *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n_sketches; i++)
		n += f->sketches[i].len;
	return n;
}

int copy_fpset(const struct whorl_fpset *f, struct whorl_fpset **out)
{
	size_t fps_bytes, sk_bytes, i;
	struct whorl_sketch *sk;
	struct whorl_fpset *c;
	struct whorl_fp *fp;
	uint8_t *bytes;

	if (f->size < WHORL_FPSET_MIN_SIZE)
		return WHORL_EABI;
	fps_bytes = f->n_fps * sizeof(*fp);
	sk_bytes = f->n_sketches * sizeof(*sk);
	c = malloc(sizeof(*c) + fps_bytes + sk_bytes + copy_sketch_bytes(f));
	if (c == NULL)
		return WHORL_ENOMEM;
	copy_prefix(c, sizeof(*c), f, f->size);
	c->size = sizeof(*c);
	fp = (struct whorl_fp *)(c + 1);
	sk = (struct whorl_sketch *)((char *)fp + fps_bytes);
	bytes = (uint8_t *)sk + sk_bytes;
	if (fps_bytes > 0)
		memcpy(fp, f->fps, fps_bytes);
	for (i = 0; i < f->n_sketches; i++) {
		sk[i] = f->sketches[i];
		if (sk[i].len > 0)
			memcpy(bytes, f->sketches[i].bytes, sk[i].len);
		sk[i].bytes = bytes;
		bytes += sk[i].len;
	}
	c->fps = fp;
	c->sketches = sk;
	*out = c;
	return 0;
}
