/*
 * test_stats_engine.c - statistics through the real cartridge: a scan of a
 * known message moves exactly the counters it should (score and size,
 * engines named in its analysis, category and subcategory, sigs seen when
 * enabled), whitelisted mail counts per list, type and entry, the self
 * test counts nothing, and closing the engine logs the period's report
 * with the guide's lines.
 *
 * Not for: the parts on their own (test_stats.c), sending (integration).
 */
#include <check.h>

#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "test_engine_env.h"
#include "cartridge/stats/stats.h"

static struct eenv E;

static void setup(void)
{
	eenv_init(&E);
	struct publish_set *s = publish_set_new();
	ck_assert_ptr_nonnull(s);
	eenv_add_file(&E, s, "spam-loan.eml", CAT_SPAM, 0);
	eenv_add_file(&E, s, "virus-invoice.eml", CAT_VIRUS, 0);
	eenv_publish(&E, s, NULL);
	publish_set_free(s);
}

static void teardown(void)
{
	eenv_fini(&E);
}

static whorl_host *gateway(const char *name, const char *extra)
{
	char dir[EENV_PATH];
	whorl_host *h = NULL;
	eenv_config(&E, name, extra, dir, sizeof(dir));
	eenv_open(&E, dir, &h);
	return h;
}

static char *snapshot(whorl_host *h)
{
	char *text = NULL;
	ck_assert_int_eq(whorl_host_api(h)->stats_snapshot(whorl_host_engine(h), &text), 0);
	char *copy = strdup(text);
	whorl_host_api(h)->text_free(whorl_host_engine(h), text);
	return copy;
}

/* Sum of the "score N = c" lines. */
static unsigned long scored(const char *text)
{
	unsigned long sum = 0;
	for (const char *p = text; (p = strstr(p, "\nscore ")) != NULL; p++) {
		unsigned s;
		unsigned long c;
		char tail[8];
		if (sscanf(p, "\nscore %u %7[=] %lu", &s, tail, &c) == 3)
			sum += c;
	}
	return sum;
}

static void want_line(const char *text, const char *line)
{
	ck_assert_msg(strstr(text, line) != NULL, "want '%s' in:\n%s", line, text);
}

/* Every abuse engine of the analysis' e= list has "<name> engine = 1". */
static int check_engines(const char *analysis, const char *text)
{
	const char *e = strstr(analysis, "; e=");
	ck_assert_ptr_nonnull(e);
	e += 4;
	int n = 0;
	while (*e != '\0' && *e != ';') {
		size_t len = strcspn(e, ",;:");
		char line[64];
		if (*e != '-' && strncmp(e, "none", 4) != 0) {
			snprintf(line, sizeof(line), "\n%.*s engine = 1\n", (int)len, e);
			want_line(text, line);
			n++;
		}
		e += strcspn(e, ",;");
		if (*e == ',')
			e++;
	}
	return n;
}

START_TEST(test_scan_moves_its_counters)
{
	whorl_host *h = gateway("gw", "record sigs seen = yes\ncustomer id = acme");
	char *t0 = snapshot(h);
	ck_assert_uint_eq(scored(t0), 0); /* the self test at open counts nothing */
	ck_assert_ptr_null(strstr(t0, " engine = "));
	free(t0);
	size_t len;
	char *msg = eenv_msg("spam-loan.eml", &len);
	struct whorl_verdict *v = eenv_score(h, msg, len);
	ck_assert_uint_ge(v->score, 50);
	char *t = snapshot(h);
	char line[128];
	snprintf(line, sizeof(line), "\nscore %u = 1\n", v->score);
	want_line(t, line);
	ck_assert_uint_eq(scored(t), 1);
	unsigned b = stats_size_bucket(len);
	snprintf(line, sizeof(line), "\nscore %u sizes =", v->score);
	char *sz = strstr(t, line);
	ck_assert_ptr_nonnull(sz);
	unsigned long bucket[STATS_N_SIZES];
	sz += strlen(line);
	for (int i = 0; i < STATS_N_SIZES; i++)
		bucket[i] = strtoul(sz, &sz, 10);
	for (unsigned i = 0; i < STATS_N_SIZES; i++)
		ck_assert_uint_eq(bucket[i], i == b ? 1 : 0);
	ck_assert_int_gt(check_engines(v->analysis, t), 0);
	want_line(t, "\ncategory 1 = 1\n");
	want_line(t, "\nsubcategory 1.0 = 1\n");
	ck_assert_ptr_null(strstr(t, "\ncategory 7 = "));
	want_line(t, "\nsigs seen = ");
	want_line(t, "\ncustomer id = acme\n");
	want_line(t, "\napplication name = test_engine\n");
	want_line(t, "\ncmae version = unknown\n");
	want_line(t, "\nreport serial = 1\n");
	want_line(t, "\nsuccessful complete micro-update downloads from disk = ");
	want_line(t, "\nmu sigs serial = 1.1\n");
	want_line(t, "\nclean shutdown = 1\n");
	free(t);
	whorl_host_verdict_free(h, v);
	free(msg);
	/* Unrelated mail: score 0 only, no engine, no category. */
	msg = eenv_msg("ham-allotment.eml", &len);
	v = eenv_score(h, msg, len);
	t = snapshot(h);
	snprintf(line, sizeof(line), "\nscore %u = 1\n", v->score);
	want_line(t, line);
	ck_assert_uint_eq(scored(t), 2);
	ck_assert_ptr_null(strstr(t, "\ncategory 0 = "));
	free(t);
	whorl_host_verdict_free(h, v);
	free(msg);
	whorl_host_close(h);
	want_line(E.log, "Shutting down, stopping background stats reporting.");
	want_line(E.log, "Current statistics for period 1...");
	want_line(E.log, "STATS: report serial = 1\n");
}
END_TEST

START_TEST(test_whitelist_and_no_sigs)
{
	char dir[EENV_PATH], path[EENV_PATH + 32];
	eenv_config(&E, "gw", "", dir, sizeof(dir));
	const char *wl = "# ours\ntype = body; regex = [loan]\n";
	snprintf(path, sizeof(path), "%s/whitelist.cfg", dir);
	eenv_write_file(path, wl, strlen(wl));
	whorl_host *h = NULL;
	eenv_open(&E, dir, &h);
	size_t len;
	char *msg = eenv_msg("spam-loan.eml", &len);
	struct whorl_verdict *v = eenv_score(h, msg, len);
	ck_assert_uint_eq(v->score, 0);
	char *t = snapshot(h);
	want_line(t, "\nscore 0 = 1\n");
	want_line(t, "\nlocal body whitelist = 1\n");
	want_line(t, "\nlocal whitelist entry hits = body:2:1\n");
	want_line(t, "\nwhitelist = IyBvdXJzCnR5cGUgPSBib2R5OyByZWdleCA9IFtsb2FuXQo=\n");
	want_line(t, "\nawl body whitelist = 0\n");
	ck_assert_ptr_null(strstr(t, "sigs seen"));
	ck_assert_ptr_null(strstr(t, "\ncategory "));
	free(t);
	whorl_host_verdict_free(h, v);
	free(msg);
	whorl_host_close(h);
}
END_TEST

START_TEST(test_exclude_and_anonymize)
{
	whorl_host *h = gateway("gw", "exclude from stats reports = whitelist, proxy auth\n"
	                              "anonymize statistics = yes");
	char *t = snapshot(h);
	want_line(t, "\nwhitelist = <excluded>\n");
	want_line(t, "\nlocal header whitelist = <excluded>\n");
	want_line(t, "\nhttp proxy auth = <excluded>\n");
	const char *id = strstr(t, "\nhost id = ");
	ck_assert_ptr_nonnull(id);
	id += strlen("\nhost id = ");
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 40);
	ck_assert_int_eq(id[40], '\n');
	free(t);
	whorl_host_close(h);
}
END_TEST

/* The installation id stays on disk only where reports can be sent. */
START_TEST(test_installation_id_kept_with_key)
{
	char dir[EENV_PATH], path[EENV_PATH + 64], id1[64] = "", id2[64] = "";
	whorl_host *h = gateway("nokey", "");
	whorl_host_close(h);
	snprintf(path, sizeof(path), "%s/nokey/micro_updates/states/installation.id", E.root);
	ck_assert_int_ne(access(path, F_OK), 0);
	eenv_config(&E, "keyed", "", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/collector.pub", dir);
	const char *pub = "6a8b6c3d2e1f00112233445566778899aabbccddeeff00112233445566778899\n";
	eenv_write_file(path, pub, strlen(pub));
	for (int run = 0; run < 2; run++) {
		eenv_open(&E, dir, &h);
		char *t = snapshot(h);
		const char *at = strstr(t, "\ninstallation id = ");
		ck_assert_ptr_nonnull(at);
		sscanf(at, "\ninstallation id = %63s", run == 0 ? id1 : id2);
		free(t);
		whorl_host_close(h);
	}
	ck_assert_str_eq(id1, id2);
	snprintf(path, sizeof(path), "%s/micro_updates/states/installation.id", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

/* A host names itself: app name and version, and a CMAE facade its CMAE. */
START_TEST(test_host_names_itself)
{
	char dir[EENV_PATH], cart[EENV_PATH], err[256] = "";
	eenv_config(&E, "named", "", dir, sizeof(dir));
	snprintf(cart, sizeof(cart), "%s/lib/cartridge.so", eenv_build());
	struct whorl_host_options o = { .size = sizeof(o),
		                        .cartridge_path = cart,
		                        .config_dir = dir,
		                        .app_name = "mta-x",
		                        .app_version = "4.2",
		                        .cmae_version = "2.5" };
	whorl_host *h = NULL;
	ck_assert_msg(whorl_host_open(&o, &h, err, sizeof(err)) == 0, "%s", err);
	char *t = snapshot(h);
	want_line(t, "\napplication name = mta-x\napplication version = 4.2\n");
	want_line(t, "\ncmae version = 2.5\n");
	free(t);
	whorl_host_close(h);
}
END_TEST

/* Scans on four threads while the reporter ends a period every second:
 * every message is counted exactly once, in some report or in the period
 * still open (the flip and grace period lose nothing, count nothing twice). */
#define RACE_THREADS 4
#define RACE_SCANS 400

struct race_arg {
	whorl_host *h;
	const char *msg;
	size_t len;
};

static void *race_scan(void *p)
{
	struct race_arg *a = p;
	for (int i = 0; i < RACE_SCANS; i++) {
		struct whorl_verdict *v = eenv_score(a->h, a->msg, a->len);
		ck_assert_uint_eq(v->score, 0);
		whorl_host_verdict_free(a->h, v);
		if (i % 100 == 99)
			usleep(300000); /* spread the scans over several periods */
	}
	return NULL;
}

/* Sum of "STATS: score 0 = N" report lines in the log, and how many reports. */
static unsigned long logged_scores(const char *log, int *reports)
{
	unsigned long sum = 0;
	*reports = 0;
	for (const char *p = log; (p = strstr(p, "STATS: ")) != NULL; p++) {
		unsigned long n;
		if (sscanf(p, "STATS: score 0 = %lu", &n) == 1)
			sum += n;
		if (strncmp(p, "STATS: Current statistics for period ", 37) == 0)
			(*reports)++;
	}
	return sum;
}

START_TEST(test_periods_lose_nothing)
{
	whorl_host *h = gateway("race", "statistics interval = 1");
	const char *msg = "From: a@example.org\r\nSubject: hello\r\n\r\nnothing to see\r\n";
	struct race_arg a = { h, msg, strlen(msg) };
	pthread_t t[RACE_THREADS];
	for (int i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_scan, &a), 0);
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	char *open_period = snapshot(h);
	unsigned long still_open = 0;
	const char *at = strstr(open_period, "\nscore 0 = ");
	if (at != NULL)
		sscanf(at, "\nscore 0 = %lu", &still_open);
	free(open_period);
	pthread_mutex_lock(&E.log_lock);
	int reports;
	unsigned long reported = logged_scores(E.log, &reports);
	ck_assert_msg(strlen(E.log) + 1 < sizeof(E.log), "log buffer full: counts unreliable");
	pthread_mutex_unlock(&E.log_lock);
	ck_assert_int_ge(reports, 1);
	ck_assert_uint_eq(reported + still_open, (unsigned long)RACE_THREADS * RACE_SCANS);
	whorl_host_close(h);
}
END_TEST

static Suite *stats_engine_suite(void)
{
	Suite *s = suite_create("stats_engine");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_scan_moves_its_counters);
	tcase_add_test(tc, test_whitelist_and_no_sigs);
	tcase_add_test(tc, test_exclude_and_anonymize);
	tcase_add_test(tc, test_installation_id_kept_with_key);
	tcase_add_test(tc, test_host_names_itself);
	tcase_add_test(tc, test_periods_lose_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(stats_engine_suite());
}
