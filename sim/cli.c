#include "sim/cli.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "models/overload.h"
#include "models/planfig.h"

/* The process's exit codes: known here only (DESIGN: exit codes 0/1/2). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

int cli_exit_status(int status) {
    if (status == FD_OK) return CLI_EXIT_OK;
    return status == FD_EINPUT ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
}

bool cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    uint64_t v = 0;
    bool ok;
    if (text[0] && strspn(text, "0123456789") == strlen(text)) { /* digits: exact up to 2^64 - 1 (seeds) */
        unsigned long long u = strtoull(text, &end, 10);
        ok = errno == 0 && *end == '\0';
        v = u;
    } else { /* "1e7" for event counts: exact as long as a double holds every integer */
        double d = strtod(text, &end);
        ok = errno == 0 && end != text && *end == '\0' && d == floor(d) && d >= 0 && d <= 9007199254740992.0;
        v = ok ? (uint64_t)d : 0;
    }
    if (!ok || v < min || v > max) {
        fprintf(stderr, "firedrill %s: %s: expected an integer in [%llu, %llu], got '%s'\n", cmd, option,
                (unsigned long long)min, (unsigned long long)max, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_double(const char *cmd, const char *option, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "firedrill %s: %s: expected a number in [%g, %g], got '%s'\n", cmd, option, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "firedrill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'firedrill %s --help'.\n", cmd);
    va_end(ap);
    return FD_EINPUT;
}

static int warn_overload(const scenario *sc, const char *label, FILE *out) {
    overload_check checks[OVERLOAD_KINDS];
    overload_check_backups(sc, checks);
    int n = 0;
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        char msg[768];
        if (!overload_message(sc, (overload_backup)k, &checks[k], msg, sizeof msg)) continue;
        fprintf(out, "warning: %s: %s\n", label, msg);
        n++;
    }
    return n;
}

struct warn_ctx {
    const char *label;
    FILE *out;
};

static void warn_line(void *ctx, const char *msg) {
    const struct warn_ctx *w = ctx;
    fprintf(w->out, "warning: %s: %s\n", w->label, msg);
}

int cli_warn_scenario(const scenario *sc, const char *label, FILE *out) {
    int n = warn_overload(sc, label, out);
    planfig f;
    planfig_compute(sc, &f);
    struct warn_ctx w = {label, out};
    return n + planfig_warnings(sc, &f, warn_line, &w);
}

/* 0.938 -> "93.8 %", 1 -> "100 %", 0.044 -> "4.40 %", 1.2e-4 -> "0.012 %". */
static const char *fmt_pct(char *buf, size_t len, double ratio) {
    double v = 100 * ratio;
    if (!isfinite(v))
        snprintf(buf, len, "inf");
    else
        snprintf(buf, len,
                 v >= 99.95 || v == 0 ? "%.0f %%"
                 : v >= 9.995         ? "%.1f %%"
                 : v >= 0.995         ? "%.2f %%"
                                      : "%.2g %%",
                 v);
    return buf;
}

static const char *fmt_qps(char *buf, size_t len, double qps) {
    char n[48];
    snprintf(buf, len, "%s req/s", planfig_fmt_grouped(n, sizeof n, qps));
    return buf;
}

#define PLAN_LABEL "  %-16s "

static void print_backups(const scenario *sc, const planfig *f, FILE *out) {
    char a[48], b[48], c[48], d[48], e[48];
    if (!f->backups) {
        fprintf(out, PLAN_LABEL "none (backup.enabled is false)\n", "backups");
        return;
    }
    fprintf(out, PLAN_LABEL "%-10s %-9s %-13s %-9s %s\n", "backup", "size", "of model", "takes", "every", "ratio");
    static const char *const full_name = "full";
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        const planfig_backup *p = &f->kind[k];
        const char *name = k == OVERLOAD_FULL ? full_name : partial_backup_names[sc->backup.partial];
        if (!p->taken) {
            fprintf(out, "    %-14s none\n", name);
            continue;
        }
        char ratio[16];
        snprintf(ratio, sizeof ratio, "%.3g", p->ratio);
        fprintf(out, "    %-14s %-10s %-9s %-13s %-9s %s%s\n", name, planfig_fmt_bytes(a, sizeof a, p->bytes, ""),
                fmt_pct(b, sizeof b, p->model_share), planfig_fmt_duration(c, sizeof c, p->duration_s),
                planfig_fmt_duration(d, sizeof d, p->period_s), ratio,
                k == OVERLOAD_PARTIAL && sc->backup.partial == PARTIAL_DIFFERENTIAL
                    ? "  (size just before the next full)"
                    : "");
    }
    fprintf(out, PLAN_LABEL "%s (min of backup.bandwidth_bps and storage.%s_bps), %s busy on average%s\n",
            "backup link", planfig_fmt_bytes(a, sizeof a, f->bandwidth_bps, "/s"),
            storage_tier_names[sc->backup.target], fmt_pct(b, sizeof b, f->link_utilisation),
            f->link_utilisation >= 1 ? "  <- more than the link carries" : "");
    fprintf(out, PLAN_LABEL "%s a day (%.2fx the model), %s per 30 days\n", "backup volume",
            planfig_fmt_bytes(a, sizeof a, f->bytes_per_day, ""), f->models_per_day,
            planfig_fmt_bytes(e, sizeof e, f->bytes_per_30d, ""));
}

static void print_peak(const scenario *sc, const planfig *f, FILE *out) {
    char a[48], b[48], c[48];
    fmt_qps(a, sizeof a, f->peak_qps);
    if (f->peak_source == PLANFIG_PEAK_WEEKLY)
        fprintf(out, PLAN_LABEL "%s from the daily and weekly shape\n", "peak offered", a);
    else if (f->peak_source == PLANFIG_PEAK_SURGE)
        fprintf(out, PLAN_LABEL "%s during traffic.surges[%d] (x%g)\n", "peak offered", a, f->peak_index,
                sc->traffic.surges[f->peak_index].multiplier);
    else
        fprintf(out, PLAN_LABEL "%s under disasters[%d] (traffic_surge x%g)\n", "peak offered", a, f->peak_index,
                f->peak_multiplier);
    if (f->surge_peak_qps <= 0 && f->disaster_peak_qps <= 0) return;
    fprintf(out, PLAN_LABEL "daily and weekly shape %s", "peak sources", fmt_qps(a, sizeof a, f->weekly_peak_qps));
    if (f->surge_peak_qps > 0) fprintf(out, "; traffic.surges %s", fmt_qps(b, sizeof b, f->surge_peak_qps));
    if (f->disaster_peak_qps > 0)
        fprintf(out, "; traffic_surge disasters %s", fmt_qps(c, sizeof c, f->disaster_peak_qps));
    fputc('\n', out);
}

static void print_regions(const scenario *sc, const planfig *f, FILE *out) {
    char a[48], b[48], c[48], d[48];
    fprintf(out, PLAN_LABEL "%-8s %7s  %-14s %-19s %s\n", "region", "role", "servers", "capacity", "running",
            "cost per year");
    for (int r = 0; r < sc->n_regions; r++) {
        const region_spec *g = &sc->regions[r];
        const planfig_region *p = &f->region[r];
        char running[48];
        if (p->serves)
            snprintf(running, sizeof running, "serving");
        else
            snprintf(running, sizeof running, "%s %s", standby_mode_names[scenario_region_standby(sc, r)],
                     fmt_pct(b, sizeof b, p->running_share));
        if (g->role == ROLE_PRIMARY)
            snprintf(c, sizeof c, "-");
        else
            snprintf(c, sizeof c, "%s (%.2f per server-hour)", planfig_fmt_money(d, sizeof d, p->cost_per_year),
                     p->server_hour_cost);
        fprintf(out, "    %-14s %-8s %7d  %-14s %-19s %s\n", g->name, region_role_names[g->role], g->servers,
                fmt_qps(a, sizeof a, p->capacity_qps), running, c);
    }
}

void cli_print_planfig(const scenario *sc, FILE *out) {
    planfig f;
    planfig_compute(sc, &f);
    char a[48], b[48];
    const char *flag = "  <- cannot carry the peak";
    fprintf(out, "plan (derived from the scenario; the run measures the rest):\n");
    print_backups(sc, &f, out);
    print_peak(sc, &f, out);
    fprintf(out, PLAN_LABEL "%s per request per slot%s\n", "service time",
            planfig_fmt_duration(a, sizeof a, f.service_s),
            sc->traffic.service == SERVICE_CALIBRATED ? " (calibrated, a batch of one)" : "");
    print_regions(sc, &f, out);
    fprintf(out, PLAN_LABEL "%s of the serving capacity (%s)%s\n", "peak load", fmt_pct(a, sizeof a, f.utilisation),
            fmt_qps(b, sizeof b, f.serving_capacity_qps), f.utilisation >= 1 ? flag : "");
    const char *lost = f.lost_region >= 0 ? sc->regions[f.lost_region].name : "no region";
    if (sc->traffic.routing == ROUTING_ACTIVE_ACTIVE)
        fprintf(out, PLAN_LABEL "%s when %s is lost: the other active regions carry it with %s%s\n", "N-1 load",
                fmt_pct(a, sizeof a, f.n1_utilisation), lost, fmt_qps(b, sizeof b, f.n1_capacity_qps),
                f.n1_utilisation >= 1 ? flag : "");
    else if (f.takeover_region >= 0)
        fprintf(out, PLAN_LABEL "%s when %s is lost: %s takes over with %s%s\n", "N-1 load",
                fmt_pct(a, sizeof a, f.n1_utilisation), lost, sc->regions[f.takeover_region].name,
                fmt_qps(b, sizeof b, f.n1_capacity_qps), f.n1_utilisation >= 1 ? flag : "");
    else
        fprintf(out, PLAN_LABEL "inf: no region takes over when %s is lost%s\n", "N-1 load", lost, flag);
    fprintf(out,
            PLAN_LABEL "%s per year (regions but the primary: servers x running share x server-hour price x %.0f h)\n",
            "standby cost", planfig_fmt_money(a, sizeof a, f.standby_cost_per_year), PLANFIG_HOURS_PER_YEAR);
}

bool cli_sha256_hex(const void *data, size_t n, char out[65]) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data, n, digest, &len, EVP_sha256(), NULL) || len != 32) {
        out[0] = '\0';
        return false;
    }
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return true;
}

void cli_join_command(int argc, char **argv, char *out, size_t len) {
    out[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(out);
        if (used + 1 >= len) break;
        snprintf(out + used, len - used, "%s%s", i ? " " : "firedrill ", argv[i]);
    }
}

bool cli_resolve_backend(rec_backend *backend, char *err, size_t errlen) {
    if (*backend != REC_BACKEND_AUTO) return rec_backend_available(*backend, err, errlen);
    *backend = rec_backend_available(REC_BACKEND_CUDA, err, errlen) ? REC_BACKEND_CUDA : REC_BACKEND_CPU;
    return true;
}

int cli_keys_command(const char *cmd, bool list_keys, bool schema, int extra_args,
                     bool (*known)(char ***keys, size_t *n)) {
    if (list_keys && schema) return cli_usage_error(cmd, "--list-keys and --schema exclude each other");
    if (extra_args) return cli_usage_error(cmd, "--list-keys and --schema take no %s file", cmd);
    char **keys;
    size_t n;
    if (!known(&keys, &n)) {
        fprintf(stderr, "firedrill %s: out of memory\n", cmd);
        return FD_EFAIL;
    }
    int status = FD_OK;
    if (schema) {
        char title[64];
        snprintf(title, sizeof title, "firedrill %s file", cmd);
        char *text = cfg_schema_json(keys, n, title);
        if (text)
            puts(text);
        else {
            fprintf(stderr, "firedrill %s: out of memory\n", cmd);
            status = FD_EFAIL;
        }
        free(text);
    } else {
        for (size_t i = 0; i < n; i++) puts(keys[i]);
    }
    cfg_free_keys(keys, n);
    return status;
}

void cli_errf(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fd_verrf(err, errlen, FD_OK, fmt, ap);
    va_end(ap);
}

/* ---- budgets ------------------------------------------------------------------------ */

int cli_check_event_budget(const char *cmd, const char *label, const scenario *sc, uint64_t max_events) {
    char why[512];
    double floor_events = scenario_event_floor(sc, why, sizeof why);
    if (!max_events || floor_events <= (double)max_events) return FD_OK;
    fprintf(stderr,
            "firedrill %s: %s: a replica needs at least %.3g events (%s), more than the budget of %llu events per "
            "replica (--max-events): check the scenario's periods and interarrival times, or raise --max-events\n",
            cmd, label, floor_events, why, (unsigned long long)max_events);
    return FD_EFAIL;
}

/* ---- output paths ---------------------------------------------------------------- */

static bool same_file(const struct stat *a, const char *path) {
    struct stat b;
    return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

int cli_check_output(const char *cmd, const char *out_path, char *const *inputs, size_t n) {
    if (!out_path[0]) return cli_usage_error(cmd, "-o: the output path is empty");
    struct stat st;
    if (stat(out_path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_usage_error(cmd, "-o: %s is a directory: name the results file (such as %s/NAME.h5)", out_path,
                               out_path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out_path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        struct stat ds;
        if (stat(dir, &ds) != 0)
            return cli_usage_error(cmd, "-o: %s: cannot write there: %s: %s", out_path, dir, strerror(errno));
        if (!S_ISDIR(ds.st_mode))
            return cli_usage_error(cmd, "-o: %s: cannot write there: %s is not a directory", out_path, dir);
    }
    char journal[4200];
    snprintf(journal, sizeof journal, "%s.journal", out_path);
    const char *outs[] = {out_path, journal};
    for (size_t k = 0; k < 2; k++) {
        if (stat(outs[k], &st) != 0) continue;
        for (size_t i = 0; i < n; i++)
            if (inputs[i] && same_file(&st, inputs[i]))
                return cli_usage_error(cmd, "-o: %s%s is the input %s: writing results there would destroy it",
                                       out_path, k ? "'s journal" : "", inputs[i]);
    }
    return FD_OK;
}

int cli_remove_stale_temps(const char *cmd, const char *path, bool quiet) {
    char dir[4096];
    const char *base = strrchr(path, '/');
    if (base) {
        snprintf(dir, sizeof dir, "%.*s", (int)(base - path == 0 ? 1 : base - path), path);
        base++;
    } else {
        snprintf(dir, sizeof dir, ".");
        base = path;
    }
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s.tmp.", base);
    size_t plen = strlen(prefix);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    const struct dirent *e;
    while ((e = readdir(d))) {
        const char *pid_text = e->d_name + plen;
        if (strncmp(e->d_name, prefix, plen) != 0 || !*pid_text || strspn(pid_text, "0123456789") != strlen(pid_text))
            continue;
        long pid = strtol(pid_text, NULL, 10);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[8192];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        if (unlink(full) == 0) {
            removed++;
            if (!quiet)
                fprintf(stderr, "firedrill %s: removed %s, left by process %ld that no longer runs\n", cmd, full, pid);
        }
    }
    closedir(d);
    return removed;
}

/* ---- interrupts ------------------------------------------------------------------ */

static char interrupt_message[2048];
static volatile sig_atomic_t interrupt_len;

static void on_interrupt(int sig) {
    if (interrupt_len > 0 && write(STDERR_FILENO, interrupt_message, (size_t)interrupt_len) < 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_on_interrupt(const char *message) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (message) {
        interrupt_len = 0;
        snprintf(interrupt_message, sizeof interrupt_message, "%s", message);
        interrupt_len = (sig_atomic_t)strlen(interrupt_message);
        sa.sa_handler = on_interrupt;
        sa.sa_flags = SA_RESETHAND;
    } else {
        interrupt_len = 0;
        sa.sa_handler = SIG_DFL;
    }
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* a signal ignored by whoever started us (nohup) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}
