/*
 * test_cfg.c - cartridge.cfg parsing: every key, every invalid-value log
 * text, deprecated and unknown keys, syntax (case, spacing, comments,
 * CRLF, quotes) and bounds. Files on disk are in test_cfg_files.c.
 */
#include <check.h>

#include "check_main.h"
#include <stdlib.h>
#include <string.h>

#include "test_cfg_capture.h"

#define DIR "/etc/whorl"

static void parse(struct cfg *c, struct capture *cap, const char *text)
{
	struct logger lg;

	capture_init(cap, &lg);
	cfg_defaults(c, DIR);
	cfg_parse(c, text, strlen(text), &lg);
}

START_TEST(test_cfg_defaults)
{
	struct cfg c;

	cfg_defaults(&c, DIR "/");
	ck_assert_int_eq(c.consider_empty_spam, 0);
	ck_assert_str_eq(c.customer_id, "none");
	ck_assert_int_eq(c.download_before_init, 0);
	ck_assert_int_eq(c.enable_micro_updates, 1);
	ck_assert_uint_eq(c.exclude_from_stats, 0);
	ck_assert_int_eq(c.favor_analysis, 0);
	ck_assert_int_eq(c.n_gateway_hosts, 0);
	ck_assert_str_eq(c.http_proxy, "");
	ck_assert_str_eq(c.http_proxy_basic_auth, "");
	ck_assert_str_eq(c.http_proxy_ntlm_auth, "");
	ck_assert_int_eq(c.image_depth, CFG_IMAGE_HIGH);
	ck_assert_str_eq(c.local_address, "");
	ck_assert_str_eq(c.cache_path, DIR);
	ck_assert_str_eq(c.mu_hostname, "localhost");
	ck_assert_int_eq(c.mu_interval_auto, 1);
	ck_assert_int_eq(c.mu_interval_hours, 3);
	ck_assert_int_eq(c.mu_port, 80);
	ck_assert_int_eq(c.mu_timeout, 60);
	ck_assert_int_eq(c.report_statistics, 1);
	ck_assert_int_eq(c.use_envelope_ip, 0);
	ck_assert_int_eq(c.use_ip_information, 1);
	ck_assert_int_eq(c.anonymize_statistics, 0);
	ck_assert_str_eq(c.mu_url, "");
	ck_assert_str_eq(c.publisher_key, DIR "/publisher.pub");
	ck_assert_int_eq(c.minimum_score, 50);
	ck_assert_uint_eq(c.max_body_length, 0);
	ck_assert_str_eq(c.config_dir, DIR);
}
END_TEST

static const char full_cfg[] =
    "# every key, odd case and spacing\n"
    "Consider Empty Messages Spam = yes\n"
    "customer id = \"Example Corp\"\n"
    "download   micro-updates before init=1\n"
    "ENABLE MICRO-UPDATES = no\n"
    "exclude from stats reports = whitelist, proxy auth\n"
    "Favor  Analysis\tover speed = YES\n"
    "gateway received hosts = mx1.example.com, 192.0.2.25 ,mx2.example.net\n"
    "http proxy = proxy.example.com:3128\n"
    "http proxy basic auth = alice:s3cret\n"
    "http proxy ntlm auth = CORP:bob:pa55\n"
    "image processing depth = Medium\n"
    "local address for m-u cons = 2001:db8::25\n"
    "micro-update cache path = var/cache\n"
    "micro-update hostname = updates.example.org\n"
    "micro-update interval = 6\n"
    "micro-update port = 8080\n"
    "micro-update timeout = 30\n"
    "report statistics = 0\n"
    "use envelope for ip information = true\n"
    "use ip information = off\n"
    "anonymize statistics = On\n"
    "micro-update url = https://mirror.example.org/whorl/\n"
    "publisher key = /srv/keys/pub.key\n"
    "minimum score = 80\n"
    "max body length = 1048576\n"
    "micro-update trial period = 600\n";

START_TEST(test_cfg_every_key)
{
	struct cfg c;
	struct capture cap;

	parse(&c, &cap, full_cfg);
	ck_assert_int_eq(c.consider_empty_spam, 1);
	ck_assert_str_eq(c.customer_id, "Example Corp");
	ck_assert_int_eq(c.download_before_init, 1);
	ck_assert_int_eq(c.enable_micro_updates, 0);
	ck_assert_uint_eq(c.exclude_from_stats, CFG_EXCLUDE_WHITELIST | CFG_EXCLUDE_PROXY_AUTH);
	ck_assert_int_eq(c.favor_analysis, 1);
	ck_assert_int_eq(c.n_gateway_hosts, 3);
	ck_assert_str_eq(c.gateway_hosts[0], "mx1.example.com");
	ck_assert_str_eq(c.gateway_hosts[1], "192.0.2.25");
	ck_assert_str_eq(c.gateway_hosts[2], "mx2.example.net");
	ck_assert_str_eq(c.http_proxy, "proxy.example.com:3128");
	ck_assert_str_eq(c.http_proxy_basic_auth, "alice:s3cret");
	ck_assert_str_eq(c.http_proxy_ntlm_auth, "CORP:bob:pa55");
	ck_assert_int_eq(c.image_depth, CFG_IMAGE_MEDIUM);
	ck_assert_str_eq(c.local_address, "2001:db8::25");
	ck_assert_str_eq(c.cache_path, DIR "/var/cache");
	ck_assert_str_eq(c.mu_hostname, "updates.example.org");
	ck_assert_int_eq(c.mu_interval_auto, 0);
	ck_assert_int_eq(c.mu_interval_hours, 6);
	ck_assert_int_eq(c.mu_port, 8080);
	ck_assert_int_eq(c.mu_timeout, 30);
	ck_assert_int_eq(c.report_statistics, 0);
	ck_assert_int_eq(c.use_envelope_ip, 1);
	ck_assert_int_eq(c.use_ip_information, 0);
	ck_assert_int_eq(c.anonymize_statistics, 1);
	ck_assert_str_eq(c.mu_url, "https://mirror.example.org/whorl/");
	ck_assert_str_eq(c.publisher_key, "/srv/keys/pub.key");
	ck_assert_int_eq(c.minimum_score, 80);
	ck_assert_uint_eq(c.max_body_length, 1048576);
	ck_assert_uint_eq(c.mu_trial_seconds, 600);
	/* Nothing but the summary line: no warning for a clean file. */
	ck_assert_int_eq(capture_count_other(&cap), 0);
	ck_assert_logged(&cap, WHORL_LOG_INFO, "Will consider empty messages as spam");
}
END_TEST

/* Every boolean key, every spelling. */
static const struct {
	const char *key;
	size_t field;
} bool_keys[] = {
	{ "consider empty messages spam", offsetof(struct cfg, consider_empty_spam) },
	{ "download micro-updates before init", offsetof(struct cfg, download_before_init) },
	{ "enable micro-updates", offsetof(struct cfg, enable_micro_updates) },
	{ "favor analysis over speed", offsetof(struct cfg, favor_analysis) },
	{ "report statistics", offsetof(struct cfg, report_statistics) },
	{ "use envelope for ip information", offsetof(struct cfg, use_envelope_ip) },
	{ "use ip information", offsetof(struct cfg, use_ip_information) },
	{ "anonymize statistics", offsetof(struct cfg, anonymize_statistics) },
};

START_TEST(test_cfg_bool_spellings)
{
	static const struct {
		const char *v;
		int want;
	} spell[] = {
		{ "yes", 1 }, { "no", 0 },  { "1", 1 },       { "0", 0 },
		{ "YES", 1 }, { "No", 0 },  { "true", 1 },    { "FALSE", 0 },
		{ "on", 1 },  { "Off", 0 }, { "\"yes\"", 1 },
	};
	char line[256];
	struct cfg c;
	struct capture cap;

	for (size_t s = 0; s < sizeof(spell) / sizeof(spell[0]); s++) {
		snprintf(line, sizeof(line), "%s = %s\n", bool_keys[_i].key, spell[s].v);
		parse(&c, &cap, line);
		ck_assert_msg(*(int *)(void *)((char *)&c + bool_keys[_i].field) == spell[s].want,
		              "%s", line);
		ck_assert_int_eq(capture_count_other(&cap), 0);
	}
}
END_TEST

/* Each invalid value: the exact ERROR line and the default kept. */
static const struct {
	const char *line;
	const char *text;
} invalid[] = {
	{ "micro-update interval = soon",
	  "Invalid micro-update interval soon, using default interval of 3 hours." },
	{ "micro-update interval = 0",
	  "Invalid micro-update interval 0, using default interval of 3 hours." },
	{ "micro-update interval = -2",
	  "Invalid micro-update interval -2, using default interval of 3 hours." },
	{ "micro-update interval = 99999999999999999999999",
	  "Invalid micro-update interval 99999999999999999999999, using default interval of 3 hours." },
	{ "micro-update cache path = \"\"",
	  "Invalid cache path , using default value \"" DIR "\"." },
	{ "enable micro-updates = maybe",
	  "Value maybe for \"enable micro-updates\" must be yes/no/1/0--keeping downloads enabled." },
	{ "consider empty messages spam = sometimes",
	  "Value sometimes for \"consider empty messages spam\" must be yes/no/1/0--keeping default (no)." },
	{ "report statistics = 2",
	  "Value 2 for \"report statistics\" must be yes/no/1/0--keeping default (yes)." },
	{ "use ip information = y",
	  "Value y for \"use ip information\" must be yes/no/1/0--keeping default (yes)." },
	{ "http proxy = a:b:c",
	  "Invalid http proxy a:b:c (must be of the form host:port), not using a http proxy." },
	{ "http proxy = :3128",
	  "Invalid http proxy :3128 (must be of the form host:port), not using a http proxy." },
	{ "http proxy = proxy.example.com:0",
	  "Invalid http proxy proxy.example.com:0 (port must be in the range 1-65535), not using a http proxy." },
	{ "http proxy = proxy.example.com:65536",
	  "Invalid http proxy proxy.example.com:65536 (port must be in the range 1-65535), not using a http proxy." },
	{ "http proxy = http://proxy.example.com",
	  "Invalid http proxy http://proxy.example.com (must be of the form host:port), not using a http proxy." },
	{ "http proxy basic auth = alice",
	  "Invalid http basic auth **** (must be of the form user:password), not using authentication for http proxy" },
	{ "http proxy basic auth = alice:pw:extra",
	  "Invalid http basic auth alice:**** (must be of the form user:password), not using authentication for http proxy" },
	{ "http proxy basic auth = alice:",
	  "Invalid http basic auth alice:**** (empty part), not using authentication for http proxy" },
	{ "http proxy ntlm auth = CORP:bob",
	  "Invalid http ntlm auth **** (must be of the form domain:username:password), not using NTLM authentication for http proxy" },
	{ "http proxy ntlm auth = CORP::pw",
	  "Invalid http ntlm auth CORP::**** (empty part), not using NTLM authentication for http proxy" },
	{ "micro-update timeout = 0",
	  "Invalid micro-update timeout 0, using default timeout of 60 seconds." },
	{ "micro-update timeout = ten",
	  "Invalid micro-update timeout ten, using default timeout of 60 seconds." },
	{ "micro-update trial period = 0",
	  "Invalid micro-update trial period 0, using default of 3600 seconds." },
	{ "micro-update trial period = 2592001",
	  "Invalid micro-update trial period 2592001, using default of 3600 seconds." },
	{ "micro-update port = 65536",
	  "Invalid micro-update port 65536, using default port of 80." },
	{ "micro-update hostname = bad host",
	  "Invalid micro-update hostname bad host, using default hostname \"localhost\"." },
	{ "image processing depth = extreme",
	  "Invalid image processing depth extreme, using default depth of \"high\"." },
	{ "local address for m-u cons = 192.0.2.300",
	  "Invalid local address for m-u cons 192.0.2.300, not binding micro-update connections to an address." },
	{ "customer id =", "Invalid customer id , using default value \"none\"." },
	{ "exclude from stats reports = everything",
	  "Invalid exclude from stats reports everything, not excluding anything from stats reports." },
	{ "gateway received hosts = mx1.example.com, bad/host",
	  "Invalid gateway received hosts mx1.example.com, bad/host (not a host name or IP address), using heuristics instead." },
	{ "gateway received hosts = ,",
	  "Invalid gateway received hosts , (empty list), using heuristics instead." },
	{ "micro-update url = ftp://mirror.example.org/",
	  "Invalid micro-update url ftp://mirror.example.org/ (must start with http://, https:// or file://), using the micro-update hostname and port." },
	{ "publisher key =",
	  "Invalid publisher key , using default value \"" DIR "/publisher.pub\"." },
	{ "minimum score = 101", "Invalid minimum score 101, using default minimum score of 50." },
	{ "max body length = 10k", "Invalid max body length 10k, using default of 0 (no limit)." },
};

START_TEST(test_cfg_invalid_value_texts)
{
	struct cfg c, dflt;
	struct capture cap;

	parse(&c, &cap, invalid[_i].line);
	ck_assert_logged(&cap, WHORL_LOG_ERROR, invalid[_i].text);
	ck_assert_int_eq(capture_count_other(&cap), 1);
	/* The default is back: compare with a parse of nothing. */
	cfg_defaults(&dflt, DIR);
	/* The guide: a bad interval falls back to a fixed 3 hours, not auto. */
	if (strncmp(invalid[_i].line, "micro-update interval", 21) == 0)
		dflt.mu_interval_auto = 0;
	ck_assert_msg(memcmp(&c, &dflt, sizeof(c)) == 0, "default not kept for: %s",
	              invalid[_i].line);
}
END_TEST

START_TEST(test_cfg_invalid_after_valid_resets_default)
{
	struct cfg c;
	struct capture cap;

	parse(&c, &cap,
	      "micro-update port = 8080\nmicro-update port = x\n"
	      "http proxy = p.example.com:3128\nhttp proxy = :\n");
	ck_assert_int_eq(c.mu_port, 80);
	ck_assert_str_eq(c.http_proxy, "");
}
END_TEST

START_TEST(test_cfg_deprecated_and_unknown)
{
	struct cfg c, dflt;
	struct capture cap;

	parse(&c, &cap,
	      "micro-update-path = /x\nMicro-Update-Filename = y\n"
	      "frobnicate  the   Widget = 3\nmicro-update signature type = rsa\n");
	ck_assert_logged(&cap, WHORL_LOG_INFO,
	                 "The option \"micro-update-path\" has been deprecated, ignoring");
	ck_assert_logged(&cap, WHORL_LOG_INFO,
	                 "The option \"micro-update-filename\" has been deprecated, ignoring");
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Unknown option \"frobnicate the widget\" in cartridge.cfg, ignoring");
	ck_assert_logged(
	    &cap, WHORL_LOG_INFO,
	    "The option \"micro-update signature type\" is accepted for compatibility and has no effect, ignoring");
	ck_assert_int_eq(capture_count_other(&cap), 4);
	cfg_defaults(&dflt, DIR);
	ck_assert(memcmp(&c, &dflt, sizeof(c)) == 0);
}
END_TEST

START_TEST(test_cfg_syntax)
{
	struct cfg c;
	struct capture cap;
	static const char text[] = "\xef\xbb\xbf# comment\r\n"
	                           "   # indented comment\r\n"
	                           "\r\n"
	                           "\t \r\n"
	                           "micro-update port = 81\r\n"
	                           "  MICRO-UPDATE   PORT\t=\t'82'  \r\n"
	                           "customer id = \"a \"quoted\" name\"\r\n"
	                           "micro-update hostname = 'mismatched\"\r\n"
	                           "no equals sign here\r\n"
	                           "= value without key\r\n"
	                           "micro-update timeout = 7"; /* no line end at all */

	parse(&c, &cap, text);
	ck_assert_int_eq(c.mu_port, 82); /* the last one wins */
	ck_assert_str_eq(c.customer_id, "a \"quoted\" name");
	ck_assert_str_eq(c.mu_hostname, "localhost"); /* quote kept, so invalid */
	ck_assert_int_eq(c.mu_timeout, 7);
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Malformed line 9 in cartridge.cfg (expected key = value), ignoring");
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Malformed line 10 in cartridge.cfg (expected key = value), ignoring");
	ck_assert_int_eq(capture_count_other(&cap), 3);
}
END_TEST

START_TEST(test_cfg_proxy_forms)
{
	struct cfg c;
	struct capture cap;

	parse(&c, &cap, "http proxy = proxy.example.com");
	ck_assert_str_eq(c.http_proxy, "proxy.example.com:80");
	parse(&c, &cap, "http proxy = proxy.example.com:");
	ck_assert_str_eq(c.http_proxy, "proxy.example.com:80");
	parse(&c, &cap, "http proxy = 192.0.2.8:65535");
	ck_assert_str_eq(c.http_proxy, "192.0.2.8:65535");
	parse(&c, &cap, "http proxy = [2001:db8::1]:3128");
	ck_assert_str_eq(c.http_proxy, "[2001:db8::1]:3128");
	parse(&c, &cap, "http proxy = [2001:db8::1]");
	ck_assert_str_eq(c.http_proxy, "[2001:db8::1]:80");
	ck_assert_int_eq(capture_count_other(&cap), 0);
	parse(&c, &cap, "http proxy = [2001:db8::1");
	ck_assert_str_eq(c.http_proxy, "");
	ck_assert_int_eq(capture_count_other(&cap), 1);
}
END_TEST

START_TEST(test_cfg_lists_and_paths)
{
	struct cfg c;
	struct capture cap;
	char line[64 * 40];
	size_t n = 0;

	parse(&c, &cap, "exclude from stats reports = whitelist");
	ck_assert_uint_eq(c.exclude_from_stats, CFG_EXCLUDE_WHITELIST);
	parse(&c, &cap, "exclude from stats reports = Proxy Auth");
	ck_assert_uint_eq(c.exclude_from_stats, CFG_EXCLUDE_PROXY_AUTH);
	parse(&c, &cap, "exclude from stats reports = none");
	ck_assert_uint_eq(c.exclude_from_stats, 0);
	parse(&c, &cap, "micro-update cache path = /var/lib/whorl");
	ck_assert_str_eq(c.cache_path, "/var/lib/whorl");
	parse(&c, &cap, "publisher key = keys/demo.pub");
	ck_assert_str_eq(c.publisher_key, DIR "/keys/demo.pub");
	parse(&c, &cap, "micro-update url = file:///srv/whorl/updates");
	ck_assert_str_eq(c.mu_url, "file:///srv/whorl/updates");
	parse(&c, &cap, "micro-update interval = AUTO");
	ck_assert_int_eq(c.mu_interval_auto, 1);
	parse(&c, &cap, "local address for m-u cons = 198.51.100.7");
	ck_assert_str_eq(c.local_address, "198.51.100.7");
	ck_assert_int_eq(capture_count_other(&cap), 0);

	/* 33 gateway hosts: one too many, none kept. */
	n = (size_t)snprintf(line, sizeof(line), "gateway received hosts = ");
	for (int i = 0; i < CFG_MAX_GATEWAY_HOSTS + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "mx%d.example.com,", i);
	parse(&c, &cap, line);
	ck_assert_int_eq(c.n_gateway_hosts, 0);
	ck_assert_int_eq(capture_count_other(&cap), 1);
	ck_assert_ptr_nonnull(strstr(cap.text[0], "(more than 32 hosts)"));
}
END_TEST

START_TEST(test_cfg_summary_lines)
{
	struct cfg c;
	struct capture cap;

	parse(&c, &cap, "");
	ck_assert_int_eq(cap.n, 2);
	ck_assert_logged(&cap, WHORL_LOG_INFO, "Will not consider empty messages as spam");
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Statistics reporting is enabled, but \"customer id\" is set to \"none\". "
	                 "Set it to your organization's name or feedback login name.");
	parse(&c, &cap, "customer id = example");
	ck_assert_int_eq(cap.n, 1);
	parse(&c, &cap, "report statistics = no");
	ck_assert_int_eq(cap.n, 1);
}
END_TEST

START_TEST(test_cfg_huge_line_skipped)
{
	size_t big = CFG_MAX_LINE + 1;
	char *text = malloc(big + 64);
	struct cfg c;
	struct capture cap;
	size_t n;

	/* A line one byte too long, then a good line. */
	memcpy(text, "customer id = ", 14);
	memset(text + 14, 'a', big - 14);
	n = big;
	n += (size_t)sprintf(text + n, "\nmicro-update port = 99\n");
	parse(&c, &cap, text);
	ck_assert_str_eq(c.customer_id, "none");
	ck_assert_int_eq(c.mu_port, 99);
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Line 1 of cartridge.cfg is longer than 4096 bytes, ignoring");
	/* Exactly CFG_MAX_LINE is fine, but too long for a string value. */
	text[CFG_MAX_LINE] = '\n';
	parse(&c, &cap, text);
	ck_assert_str_eq(c.customer_id, "none");
	ck_assert_int_eq(c.mu_port, 99);
	ck_assert_int_eq(capture_count_other(&cap), 1);
	ck_assert_ptr_nonnull(strstr(cap.text[0], "Invalid customer id aaaa"));
	(void)n;
	free(text);
}
END_TEST

START_TEST(test_cfg_huge_buffer_refused)
{
	size_t len = CFG_MAX_FILE_BYTES + 1;
	char *text = malloc(len);
	struct cfg c, dflt;
	struct capture cap;
	struct logger lg;

	memset(text, '\n', len);
	memcpy(text, "micro-update port = 99\n", 23);
	capture_init(&cap, &lg);
	cfg_defaults(&c, DIR);
	cfg_parse(&c, text, len, &lg);
	cfg_defaults(&dflt, DIR);
	ck_assert(memcmp(&c, &dflt, sizeof(c)) == 0);
	ck_assert_logged(&cap, WHORL_LOG_ERROR,
	                 "cartridge.cfg is larger than 1048576 bytes, using default settings");
	/* One byte less is parsed. */
	capture_init(&cap, &lg);
	cfg_parse(&c, text, len - 1, &lg);
	ck_assert_int_eq(c.mu_port, 99);
	free(text);
}
END_TEST

START_TEST(test_cfg_control_characters_and_nul)
{
	static const char text[] = "customer id = a\x1b"
	                           "b\nmicro-update port = 9\0"
	                           "9\n"
	                           "micro-update timeout = 5\n";
	struct cfg c;
	struct capture cap;
	struct logger lg;

	capture_init(&cap, &lg);
	cfg_defaults(&c, DIR);
	cfg_parse(&c, text, sizeof(text) - 1, &lg);
	ck_assert_str_eq(c.customer_id, "none");
	ck_assert_int_eq(c.mu_port, 80);
	ck_assert_int_eq(c.mu_timeout, 5);
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Malformed line 1 in cartridge.cfg (control character), ignoring");
	ck_assert_logged(&cap, WHORL_LOG_WARN,
	                 "Malformed line 2 in cartridge.cfg (control character), ignoring");
}
END_TEST

START_TEST(test_cfg_secret_not_logged)
{
	struct cfg c;
	struct capture cap;

	parse(&c, &cap,
	      "http proxy basic auth = alice:topsecret:x\n"
	      "http proxy ntlm auth = D:bob:topsecret:y\n");
	for (int i = 0; i < cap.n; i++)
		ck_assert_ptr_null(strstr(cap.text[i], "topsecret"));
}
END_TEST

/* 500 unknown keys log LOG_BOUND_LINES warnings and one count (issue 12.4). */
START_TEST(test_cfg_problem_lines_bounded)
{
	static char text[500 * 32];
	struct cfg c;
	struct capture cap;
	size_t n = 0;
	int warns = 0;

	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "no such key %d = 1\n", i);
	parse(&c, &cap, text);
	for (int i = 0; i < cap.n; i++)
		warns +=
		    cap.level[i] == WHORL_LOG_WARN && strstr(cap.text[i], "Unknown option") != NULL;
	ck_assert_int_eq(warns, 20);
	ck_assert_int_ge(capture_find(&cap, WHORL_LOG_WARN,
	                              "480 more problems in cartridge.cfg were "
	                              "not logged (the first 20 were)"),
	                 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_test(tc, test_cfg_defaults);
	tcase_add_test(tc, test_cfg_problem_lines_bounded);
	tcase_add_test(tc, test_cfg_every_key);
	tcase_add_loop_test(tc, test_cfg_bool_spellings, 0,
	                    (int)(sizeof(bool_keys) / sizeof(bool_keys[0])));
	tcase_add_loop_test(tc, test_cfg_invalid_value_texts, 0,
	                    (int)(sizeof(invalid) / sizeof(invalid[0])));
	tcase_add_test(tc, test_cfg_invalid_after_valid_resets_default);
	tcase_add_test(tc, test_cfg_deprecated_and_unknown);
	tcase_add_test(tc, test_cfg_syntax);
	tcase_add_test(tc, test_cfg_proxy_forms);
	tcase_add_test(tc, test_cfg_lists_and_paths);
	tcase_add_test(tc, test_cfg_summary_lines);
	tcase_add_test(tc, test_cfg_huge_line_skipped);
	tcase_add_test(tc, test_cfg_huge_buffer_refused);
	tcase_add_test(tc, test_cfg_control_characters_and_nul);
	tcase_add_test(tc, test_cfg_secret_not_logged);
	suite_add_tcase(s, tc);
	return check_run(s);
}
