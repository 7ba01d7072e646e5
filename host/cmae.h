/*
 * cmae.h - a CMAE-compatible C facade over libwhorl.
 *
 * For programs written against the Cloudmark Authority Engine SDK's calls
 * as the Cartridge guide shows them. CMAE_Score() and
 * CMAE_DescribeCategory() have the guide's parameters exactly; the guide
 * does not define the rest, so these are whorl's own, documented here:
 *
 *   CMAE_Init(ConfigDirectory)  opens the process-wide engine: the cartridge
 *       is whorl_default_cartridge_path() (env WHORL_CARTRIDGE), the
 *       configuration ConfigDirectory (NULL: whorl_default_config_dir()),
 *       rollback state in env WHORL_STATE_DIR when set. Log lines go to
 *       the callback set by CMAE_SetLogCallback() before CMAE_Init().
 *       A second CMAE_Init() without CMAE_Shutdown() returns CMAE_EBUSY.
 *   CMAE_Score(...)             scores one RFC 822 message; thread safe.
 *   CMAE_DescribeCategory(...)  names a category pair; thread safe.
 *   CMAE_Free(p)                frees a string the facade allocated
 *       (*AnalysisOut, *CategoryDescOut, *SubCategoryDescOut). NULL is fine.
 *   CMAE_Swap(CartridgePath)    hot-swaps the cartridge (whorl_host_swap).
 *   CMAE_Shutdown()             closes the engine; no call may be in flight.
 *
 * Return values: CMAE_OK (0) or a negative CMAE_E* code, numerically the
 * WHORL_E* codes of whorl_cartridge.h; CMAE_StrError() gives the text.
 * Out parameters are written only on success. Any out pointer except
 * ScoreOut may be NULL when the caller does not want that value.
 * Not for: the rest of libwhorl (host/whorl.h).
 */
#ifndef WHORL_CMAE_H
#define WHORL_CMAE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define CMAE_OK 0
#define CMAE_EINVAL (-1) /* bad argument, or CMAE_Init() not called */
#define CMAE_ENOMEM (-2)
#define CMAE_EIO (-3) /* cartridge or configuration unreadable */
#define CMAE_ECONFIG (-4)
#define CMAE_EABI (-5)   /* cartridge not binary compatible */
#define CMAE_EBUSY (-11) /* already initialised */
#define CMAE_ESELFTEST (-12)

/* The SMTP envelope. Every member may be NULL when unknown; addresses keep
 * their angle brackets. */
struct CMAE_EnvelopeData {
	const char *ClientIP;       /* connecting client, IPv4 or IPv6 text */
	const char *ClientHostname; /* its verified reverse name */
	const char *Helo;
	const char *MailFrom;
	const char *const *RcptTo; /* NumRcptTo addresses */
	size_t NumRcptTo;
};

/* What CMAE_Score() takes: a pointer to the envelope, NULL when unknown. */
typedef const struct CMAE_EnvelopeData *CMAE_Envelope;

typedef void (*CMAE_LogCallback)(void *Ctx, int Level, const char *Module, const char *Message);

void CMAE_SetLogCallback(CMAE_LogCallback Callback, void *Ctx, int MinLevel);
int CMAE_Init(const char *ConfigDirectory);
void CMAE_Shutdown(void);

/* Score 0-100 (higher: more certainly abuse), category and subcategory
 * numbers (the categories file), rescan 1 when the engine could not see
 * everything, and an allocated analysis header value (CMAE_Free it). */
int CMAE_Score(CMAE_Envelope Envelope, const char *RFC822Content, size_t RFC822ContentLength,
               unsigned int *ScoreOut, unsigned int *CategoryOut, unsigned int *SubCategoryOut,
               unsigned int *RescanOut, char **AnalysisOut);

/* Allocated names (CMAE_Free them), e.g. 7/0 -> "virus"/"undefined". An
 * unknown pair returns CMAE_EINVAL and still gives "unknown" strings. */
int CMAE_DescribeCategory(unsigned int Category, unsigned int SubCategory, char **CategoryDescOut,
                          char **SubCategoryDescOut);

void CMAE_Free(void *Ptr);
int CMAE_Swap(const char *CartridgePath);
const char *CMAE_StrError(int Code);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* WHORL_CMAE_H */
