/*
 * page.c - the summary as one HTML page (GET /): tables for gateways,
 * update failures, the fingerprints seen most and those never seen, and
 * charts drawn as inline SVG here on the server (stacked bars of messages
 * per hour by verdict category, horizontal bars of engine hit rates and
 * whitelist hits). No script, no external file: the page renders offline.
 *
 * Not for: reading the numbers (summary.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "summary.h"

#define CHART_W 720
#define CHART_H 240
#define BAR_ROW 22

static const char *const palette[] = {
	"#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
	"#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#8cd17d",
};
#define CLEAN_COLOUR "#c9d6e3"

static void esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void page_gateways(const struct summary *s, FILE *f)
{
	fprintf(f,
	        "<h2>Gateways reporting: %zu</h2>\n<table><tr><th>customer</th><th>host</th>"
	        "<th>application</th><th>data serial</th><th>data age</th><th>report serial</th>"
	        "<th>reports</th><th>last report age</th><th>clean shutdown</th></tr>\n",
	        s->total_gateways);
	for (size_t i = 0; i < s->n_gateways; i++) {
		const struct summary_gateway *g = &s->gateways[i];
		fputs("<tr><td>", f);
		esc(f, g->customer_id);
		fputs("</td><td>", f);
		esc(f, g->host_id);
		fputs("</td><td>", f);
		esc(f, g->app_name);
		fputs("</td><td>", f);
		esc(f, g->sigs_serial);
		char data_age[24];
		summary_age_text(g->data_age, data_age, sizeof(data_age));
		fprintf(f,
		        "</td><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64
		        "</td><td>%lld s</td><td>%d</td></tr>\n",
		        data_age, g->last_serial, g->reports, (long long)(s->now - g->last_seen),
		        g->clean_shutdown);
	}
	fputs("</table>\n", f);
}

/* Stacked bars: one per hour, "not abuse" at the bottom, then categories. */
static void page_hours(const struct summary *s, FILE *f)
{
	uint64_t max = 1;
	for (int h = 0; h < SUMMARY_HOURS; h++)
		max = s->hour_total[h] > max ? s->hour_total[h] : max;
	int left = 50, bottom = CHART_H - 30, plot_h = CHART_H - 50;
	int bar_w = (CHART_W - left - 10) / SUMMARY_HOURS;
	fprintf(
	    f,
	    "<h2>Messages per hour by verdict category</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"messages per hour\">\n",
	    CHART_W, CHART_H);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", left,
	        bottom, CHART_W - 10, bottom);
	fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\">%" PRIu64 "</text>\n",
	        bottom - plot_h + 4, max);
	for (int h = 0; h < SUMMARY_HOURS; h++) {
		uint64_t abuse = 0;
		for (size_t c = 0; c <= SUMMARY_MAX_CATS; c++)
			abuse += s->hour_cat[h][c];
		uint64_t clean = s->hour_total[h] > abuse ? s->hour_total[h] - abuse : 0;
		double y = bottom;
		int x = left + h * bar_w + 1;
		for (size_t c = 0; c <= SUMMARY_MAX_CATS + 1; c++) {
			uint64_t v = c == 0 ? clean : s->hour_cat[h][c - 1];
			if (v == 0)
				continue;
			double hgt = (double)v * plot_h / (double)max;
			y -= hgt;
			fprintf(
			    f,
			    "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
			    "<title>%" PRIu64 "</title></rect>\n",
			    x, y, bar_w - 2, hgt, c == 0 ? CLEAN_COLOUR : palette[(c - 1) % 13], v);
		}
		if (h % 3 == 0) {
			char when[16];
			time_t t = (time_t)(s->since + (int64_t)h * 3600);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%H:00", &tm);
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>\n", x,
			        bottom + 14, when);
		}
	}
	fputs("</svg>\n<p class=\"legend\"><span style=\"background:" CLEAN_COLOUR
	      "\"></span>not abuse",
	      f);
	for (size_t c = 0; c < s->n_cats; c++) {
		fprintf(f, " <span style=\"background:%s\"></span>", palette[c % 13]);
		esc(f, categories_name(s->cats, s->cat_nums[c], 0, NULL));
		fprintf(f, " (%u)", s->cat_nums[c]);
	}
	fputs("</p>\n", f);
}

/* Horizontal bars for n named values; pct: labels as a share of `of`. */
static void page_bars(FILE *f, const char *title, const char *const *names, const uint64_t *v,
                      int n, uint64_t of)
{
	uint64_t max = 1;
	for (int i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	fprintf(f,
	        "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "role=\"img\" aria-label=\"%s\">\n",
	        title, CHART_W, n * BAR_ROW + 10, title);
	for (int i = 0; i < n; i++) {
		int y = 5 + i * BAR_ROW;
		double w = (double)v[i] * (CHART_W - 260) / (double)max;
		fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"12\">%s</text>\n", y + 14, names[i]);
		fprintf(f, "<rect x=\"120\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
		        y, w < 1 && v[i] > 0 ? 1.0 : w, BAR_ROW - 6, palette[i % 13]);
		if (of > 0)
			fprintf(f,
			        "<text x=\"%.0f\" y=\"%d\" font-size=\"12\">%" PRIu64
			        " (%.2f%%)</text>\n",
			        126 + w, y + 14, v[i], 100.0 * (double)v[i] / (double)of);
		else
			fprintf(f,
			        "<text x=\"%.0f\" y=\"%d\" font-size=\"12\">%" PRIu64 "</text>\n",
			        126 + w, y + 14, v[i]);
	}
	fputs("</svg>\n", f);
}

static void page_never(const struct summary *s, FILE *f)
{
	fputs("<h2>Fingerprints never seen since published</h2>\n", f);
	if (s->never_state != SUMMARY_NEVER_OK) {
		fputs(
		    s->never_state == SUMMARY_NEVER_OFF
		        ? "<p>Not configured: set <code>mirror</code> and <code>publisher key</code> "
		          "in collect.cfg.</p>\n"
		        : "<p>Cannot read the mirror: ",
		    f);
		if (s->never_state == SUMMARY_NEVER_FAILED) {
			esc(f, s->never_err);
			fputs("</p>\n", f);
		}
		return;
	}
	fprintf(f,
	        "<p>%zu of %zu published abuse fingerprints never reported seen (published "
	        "longest ago first; candidates for expiry, nothing is expired).</p>\n<table><tr>"
	        "<th>fingerprint</th><th>engine</th><th>category</th><th>published</th></tr>\n",
	        s->n_never_total, s->n_published);
	for (size_t i = 0; i < s->n_never; i++) {
		char day[16];
		time_t t = (time_t)s->never[i].first_seen * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		fputs("<tr><td><code>", f);
		esc(f, s->never[i].sig);
		fputs("</code></td><td>", f);
		esc(f, s->never[i].engine);
		const char *sub_name = NULL;
		fputs("</td><td>", f);
		esc(f, categories_name(s->cats, s->never[i].category, s->never[i].subcategory,
		                       &sub_name));
		fputs("/", f);
		esc(f, sub_name != NULL ? sub_name : "unknown");
		fprintf(f, " (%u.%u)</td><td>%s</td></tr>\n", s->never[i].category,
		        s->never[i].subcategory, day);
	}
	fputs("</table>\n", f);
}

static void page_lists(const struct summary *s, FILE *f)
{
	fputs("<h2>Update failures</h2>\n<table><tr><th>customer</th><th>host</th>"
	      "<th>failed downloads</th></tr>\n",
	      f);
	for (size_t i = 0; i < s->n_gateways; i++) {
		if (s->gateways[i].downloads_failed == 0)
			continue;
		fputs("<tr><td>", f);
		esc(f, s->gateways[i].customer_id);
		fputs("</td><td>", f);
		esc(f, s->gateways[i].host_id);
		fprintf(f, "</td><td>%" PRIu64 "</td></tr>\n", s->gateways[i].downloads_failed);
	}
	fprintf(f,
	        "</table>\n<h2>Fingerprints seen most (%" PRIu64 " distinct)</h2>\n<table><tr>"
	        "<th>fingerprint</th><th>engine</th><th>times seen</th></tr>\n",
	        s->sigs_distinct);
	for (size_t i = 0; i < s->n_top; i++) {
		fputs("<tr><td><code>", f);
		esc(f, s->top[i].sig);
		fputs("</code></td><td>", f);
		esc(f, s->top[i].engine);
		fprintf(f, "</td><td>%" PRIu64 "</td></tr>\n", s->top[i].count);
	}
	fputs("</table>\n", f);
	page_never(s, f);
}

char *summary_page(const struct summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fprintf(
	    f,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>whorl-collect</title>\n"
	    "<style>body{font-family:sans-serif;margin:20px;color:#222}table{border-collapse:collapse}"
	    "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px}th{background:#eef}"
	    ".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style>"
	    "</head><body>\n<h1>whorl-collect: %" PRIu64 " reports, %" PRIu64
	    " messages in the last "
	    "%d hours</h1>\n",
	    s->reports, s->messages, SUMMARY_HOURS);
	page_gateways(s, f);
	page_hours(s, f);
	const char *engines[COLLECT_N_ENGINES - 1];
	for (int e = 1; e < COLLECT_N_ENGINES; e++)
		engines[e - 1] = collect_engine_names[e];
	page_bars(f, "Per-engine hit rates", engines, s->engine + 1, COLLECT_N_ENGINES - 1,
	          s->messages);
	page_bars(f, "Whitelist hits", collect_wl_names, s->wl, COLLECT_N_WL, 0);
	page_lists(s, f);
	fputs("</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
