/*
 * cmae.c - the CMAE facade (host/cmae.h) on one process-wide whorl_host.
 *
 * The SDK's calls carry no handle, so the facade keeps one host pointer;
 * it is set by CMAE_Init() and cleared by CMAE_Shutdown() under a mutex,
 * and read without locking by the scan calls (which the header says must
 * not race with those two). Not for: anything whorl.h already offers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cmae.h"
#include "whorl.h"

#define CMAE_NAME_MAX 256 /* longest category name copied */

static pthread_mutex_t cmae_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(whorl_host *) cmae_host;
static CMAE_LogCallback cmae_log;
static void *cmae_log_ctx;
static int cmae_log_min = 1;

void CMAE_SetLogCallback(CMAE_LogCallback Callback, void *Ctx, int MinLevel)
{
	pthread_mutex_lock(&cmae_mu);
	cmae_log = Callback;
	cmae_log_ctx = Ctx;
	cmae_log_min = MinLevel;
	pthread_mutex_unlock(&cmae_mu);
}

int CMAE_Init(const char *ConfigDirectory)
{
	struct whorl_host_options o;
	whorl_host *h = NULL;
	char err[512];
	int rc = CMAE_EBUSY;

	pthread_mutex_lock(&cmae_mu);
	if (cmae_host != NULL)
		goto done;
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.config_dir = ConfigDirectory;
	o.log = cmae_log;
	o.log_ctx = cmae_log_ctx;
	o.log_min_level = cmae_log_min;
	o.app_name = "cmae";
	o.cmae_version = WHORL_VERSION; /* the facade's CMAE API level is libwhorl's */
	o.state_dir = getenv("WHORL_STATE_DIR");
	if (o.state_dir != NULL && *o.state_dir == '\0')
		o.state_dir = NULL;
	rc = whorl_host_open(&o, &h, err, sizeof(err));
	if (rc != 0 && cmae_log != NULL)
		cmae_log(cmae_log_ctx, WHORL_LOG_ERROR, "CMAE", err);
	if (rc == 0)
		cmae_host = h;
done:
	pthread_mutex_unlock(&cmae_mu);
	return rc;
}

void CMAE_Shutdown(void)
{
	pthread_mutex_lock(&cmae_mu);
	whorl_host_close(cmae_host);
	cmae_host = NULL;
	pthread_mutex_unlock(&cmae_mu);
}

static void cmae_envelope(CMAE_Envelope in, struct whorl_envelope *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->client_ip = in->ClientIP;
	out->client_hostname = in->ClientHostname;
	out->helo = in->Helo;
	out->mail_from = in->MailFrom;
	out->rcpt_to = in->RcptTo;
	out->n_rcpt_to = in->NumRcptTo;
}

int CMAE_Score(CMAE_Envelope Envelope, const char *RFC822Content, size_t RFC822ContentLength,
               unsigned int *ScoreOut, unsigned int *CategoryOut, unsigned int *SubCategoryOut,
               unsigned int *RescanOut, char **AnalysisOut)
{
	whorl_host *h = cmae_host;
	struct whorl_envelope env;
	struct whorl_verdict *v = NULL;
	char *analysis = NULL;
	int rc;

	if (h == NULL || ScoreOut == NULL)
		return CMAE_EINVAL;
	if (Envelope != NULL)
		cmae_envelope(Envelope, &env);
	rc = whorl_host_score(h, Envelope != NULL ? &env : NULL, RFC822Content, RFC822ContentLength,
	                      &v);
	if (rc != 0)
		return rc;
	if (AnalysisOut != NULL && (analysis = strdup(v->analysis)) == NULL) {
		whorl_host_verdict_free(h, v);
		return CMAE_ENOMEM;
	}
	*ScoreOut = v->score;
	if (CategoryOut != NULL)
		*CategoryOut = v->category;
	if (SubCategoryOut != NULL)
		*SubCategoryOut = v->subcategory;
	if (RescanOut != NULL)
		*RescanOut = v->rescan ? 1u : 0u;
	if (AnalysisOut != NULL)
		*AnalysisOut = analysis;
	whorl_host_verdict_free(h, v);
	return 0;
}

int CMAE_DescribeCategory(unsigned int Category, unsigned int SubCategory, char **CategoryDescOut,
                          char **SubCategoryDescOut)
{
	char cat[CMAE_NAME_MAX], sub[CMAE_NAME_MAX], *c = NULL, *s = NULL;
	whorl_host *h = cmae_host;
	int rc;

	if (h == NULL)
		return CMAE_EINVAL;
	rc = whorl_host_describe_category(h, Category, SubCategory, cat, sizeof(cat), sub,
	                                  sizeof(sub));
	if ((CategoryDescOut != NULL && (c = strdup(cat)) == NULL) ||
	    (SubCategoryDescOut != NULL && (s = strdup(sub)) == NULL)) {
		free(c);
		return CMAE_ENOMEM;
	}
	if (CategoryDescOut != NULL)
		*CategoryDescOut = c;
	if (SubCategoryDescOut != NULL)
		*SubCategoryDescOut = s;
	return rc;
}

void CMAE_Free(void *Ptr)
{
	free(Ptr);
}

int CMAE_Swap(const char *CartridgePath)
{
	whorl_host *h = cmae_host;

	return h != NULL ? whorl_host_swap(h, CartridgePath, NULL, 0) : CMAE_EINVAL;
}

const char *CMAE_StrError(int Code)
{
	return whorl_strerror(Code);
}
