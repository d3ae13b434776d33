/* `firedrill init`: a starter scenario to edit, with the default disasters
 * and where their rates come from. The file is built as text, parsed back
 * through the scenario parser (so what init writes always validates), and
 * written under a temporary name that is renamed (or, without --force,
 * linked: an existing file is never replaced). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/scenario.h"
#include "sim/cli.h"
#include "sim/commands.h"

#define INIT_DEFAULT_REGIONS 3

static const char init_usage[] =
    "usage: firedrill init -o FILE.json [--regions N] [--strategy S] [--name NAME] [--force]\n"
    "\n"
    "Writes a starter scenario to edit: N regions (default 3, at most 16) of 16 GPU\n"
    "servers (8 GPUs each, 2 zones x 2 racks), 30 simulated days, 20,000 requests/s\n"
    "with a daily and weekly shape and a Singles' Day surge (x3 for 4 h on day 10), a\n"
    "100 GB model trained online, incremental backups every 15 min and a daily full to\n"
    "another region, a phi-accrual detector, and the default disasters below, each with\n"
    "its source in a \"_source\" key (keys starting with '_' are comments):\n"
    "  server_failure     every 263 d per server, 4 h repair: the Llama 3 report (Meta,\n"
    "                     2024), 419 unexpected interruptions on 16,384 GPUs in 54 days\n"
    "  rack_power         every 1000 d per rack, 2 h          (planning assumption)\n"
    "  zone_outage        every 1500 d per zone, 3 h          (planning assumption)\n"
    "  region_outage      every 400 d per region (Weibull 0.8), 6 h (planning assumption)\n"
    "  wan_partition      every 200 d per region, 30 min      (planning assumption)\n"
    "  network_flap       every 7 d per region, 3 s           (planning assumption)\n"
    "  backup_corruption  every 90 d                          (planning assumption)\n"
    "  bad_model_push     every 60 d                          (planning assumption)\n"
    "  traffic_surge      every 14 d, x2 for 1 h              (planning assumption)\n"
    "Replace the assumptions with your own incident history (scenarios/README.md\n"
    "documents every key, its unit and default).\n"
    "\n"
    "--strategy picks the disaster-recovery strategy (the AWS whitepaper's four):\n"
    "  backup_restore  no standby servers: restore the newest backup on new servers\n"
    "  pilot_light     state replicated, standby servers off until needed\n"
    "  warm_standby    a quarter of the standby fleet runs the model (default)\n"
    "  active_active   every region serves its share; survivors absorb a failed one\n"
    "Every strategy but backup_restore needs --regions 2 or more.\n"
    "\n"
    "The scenario's name is FILE's base name without .json (--name NAME overrides):\n"
    "`firedrill run FILE.json` writes results/NAME.h5. An existing FILE is refused\n"
    "(exit 2) unless --force replaces it. The file is written under a temporary name and\n"
    "renamed, and passes `firedrill validate`. Exit status 2 on bad arguments.\n";

typedef enum init_strategy {
    INIT_BACKUP_RESTORE,
    INIT_PILOT_LIGHT,
    INIT_WARM_STANDBY,
    INIT_ACTIVE_ACTIVE,
    INIT_STRATEGY_COUNT
} init_strategy;

/* One row per strategy: what it sets in the scenario. */
typedef struct strategy_row {
    const char *name;
    const char *standby; /* failover.standby */
    bool active;         /* every region serves (roles active, routing active_active) */
    const char *description;
} strategy_row;

static const strategy_row strategies[] = {
    [INIT_BACKUP_RESTORE] = {"backup_restore", "cold", false,
                             "Backup and restore: no standby servers; restore the newest backup on new servers"},
    [INIT_PILOT_LIGHT] = {"pilot_light", "pilot_light", false,
                          "Pilot light: data replicated, servers off until needed"},
    [INIT_WARM_STANDBY] = {"warm_standby", "warm", false,
                           "Warm standby: a quarter of the standby fleet runs the model, scales up on failover"},
    [INIT_ACTIVE_ACTIVE] = {"active_active", "hot", true,
                            "Multi-site active-active: every region serves its share; survivors absorb a failed "
                            "region"},
};
_Static_assert(sizeof strategies / sizeof strategies[0] == INIT_STRATEGY_COUNT, "strategies: one row per strategy");

/* Region names in topology order; the first three are those of the shipped
 * scenarios. */
static const char *const region_names[SCENARIO_MAX_REGIONS] = {
    "cn-east",  "cn-north",  "cn-south",  "cn-west",   "cn-central", "cn-northeast", "cn-northwest", "cn-southwest",
    "region-9", "region-10", "region-11", "region-12", "region-13",  "region-14",    "region-15",    "region-16"};

/* The default disasters: the rates of scenarios/reference.json with their
 * sources (scenarios/README.md, "Default disaster rates and their
 * sources"). A NULL duration law: the fault is instant. */
typedef struct default_disaster {
    const char *kind;
    const char *source;
    const char *every_law;
    const char *every;
    double shape; /* Weibull shape of the up-time; 0: not Weibull */
    const char *lasts;
    double cv;         /* lognormal coefficient of variation of the duration */
    double multiplier; /* traffic_surge; 0: none */
} default_disaster;

static const default_disaster default_disasters[] = {
    {"server_failure",
     "Llama 3 report (Meta, 2024): 419 unexpected interruptions on 16,384 GPUs in 54 days => ~0.0038 per 8-GPU "
     "server per day, a mean up-time of 263 d per server; the 4 h repair is a planning assumption",
     "exponential", "263d", 0, "4h", 1.0, 0},
    {"rack_power", "planning assumption: a rack loses power about every 3 years; replace with your incident history",
     "exponential", "1000d", 0, "2h", 0.8, 0},
    {"zone_outage",
     "planning assumption: an availability zone fails about every 4 years; replace with your incident history",
     "exponential", "1500d", 0, "3h", 1.0, 0},
    {"region_outage",
     "planning assumption: a region fails about every 400 days, Weibull shape 0.8 (a falling hazard: outages "
     "cluster); replace with your incident history",
     "weibull", "400d", 0.8, "6h", 1.0, 0},
    {"wan_partition", "planning assumption: a region is cut off from the WAN about twice in 400 days, for 30 min",
     "exponential", "200d", 0, "30m", 1.5, 0},
    {"network_flap",
     "planning assumption: a few seconds of network flap per region a week; it tests the detector's false alarms",
     "exponential", "7d", 0, "3s", 2.0, 0},
    {"backup_corruption",
     "planning assumption: a silently corrupt backup every 90 days, on top of backup.corruption_probability",
     "exponential", "90d", 0, NULL, 0, 0},
    {"bad_model_push",
     "planning assumption: a bad model push every 60 days (an online-trained model is pushed many times a day)",
     "exponential", "60d", 0, NULL, 0, 0},
    {"traffic_surge", "planning assumption: an unplanned surge to twice the load for about an hour every two weeks",
     "exponential", "14d", 0, "1h", 0.5, 2.0},
};

static void put_region(FILE *f, int i, bool last, const strategy_row *s) {
    fprintf(f,
            "      {\n"
            "        \"name\": \"%s\",\n"
            "        \"servers\": 16,\n"
            "        \"gpus_per_server\": 8,\n"
            "        \"zones\": 2,\n"
            "        \"racks_per_zone\": 2,\n"
            "        \"role\": \"%s\"\n"
            "      }%s\n",
            region_names[i],
            s->active ? "active"
            : i == 0  ? "primary"
                      : "standby",
            last ? "" : ",");
}

static void put_disaster(FILE *f, const default_disaster *d, bool last) {
    fprintf(f, "    {\n      \"kind\": \"%s\",\n      \"_source\": \"%s\",\n", d->kind, d->source);
    fprintf(f, "      \"interarrival\": {\n        \"law\": \"%s\",\n        \"mean_s\": \"%s\"", d->every_law,
            d->every);
    if (d->shape > 0) fprintf(f, ",\n        \"shape\": %g", d->shape);
    fprintf(f, "\n      }");
    if (d->lasts)
        fprintf(f,
                ",\n      \"duration\": {\n        \"law\": \"lognormal\",\n        \"mean_s\": \"%s\",\n"
                "        \"cv\": %.1f\n      }",
                d->lasts, d->cv);
    if (d->multiplier > 0) fprintf(f, ",\n      \"multiplier\": %.1f", d->multiplier);
    fprintf(f, "\n    }%s\n", last ? "" : ",");
}

/* The scenario's text (malloc'd), or NULL when out of memory. */
static char *starter_text(const char *name, int regions, const strategy_row *s) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f,
            "{\n"
            "  \"name\": \"%s\",\n"
            "  \"description\": \"%s (firedrill init: %d region%s x 16 GPU servers, 30 days, default disasters)\",\n"
            "  \"_about\": \"Written by firedrill init %s. Every key is documented in scenarios/README.md; each "
            "disaster's rate carries its source in _source (keys starting with _ are comments). Replace the planning "
            "assumptions with your own fleet's figures.\",\n"
            "  \"horizon_s\": \"30d\",\n"
            "  \"topology\": {\n    \"regions\": [\n",
            name, s->description, regions, regions == 1 ? "" : "s", FIREDRILL_VERSION);
    for (int i = 0; i < regions; i++) put_region(f, i, i == regions - 1, s);
    fprintf(f,
            "    ]\n  },\n"
            "  \"traffic\": {\n"
            "    \"base_qps\": 20000,\n"
            "    \"diurnal_amplitude\": 0.5,\n"
            "    \"peak_hour\": 21,\n"
            "    \"weekend_factor\": 1.2,\n"
            "    \"routing\": \"%s\",\n"
            "    \"timeout_s\": 1,\n"
            "    \"slo_latency_s\": 0.2,\n"
            "    \"slo_quantile\": 0.99,\n"
            "    \"segment_s\": \"10m\",\n"
            "    \"surges\": [\n"
            "      {\n"
            "        \"_source\": \"Singles' Day: a flash sale at several times the normal load\",\n"
            "        \"at_s\": \"10d\",\n"
            "        \"ramp_s\": \"2h\",\n"
            "        \"duration_s\": \"4h\",\n"
            "        \"multiplier\": 3\n"
            "      }\n"
            "    ]\n"
            "  },\n",
            s->active ? "active_active" : "primary");
    fprintf(f, "  \"service\": {\n    \"distribution\": \"exponential\",\n    \"mean_s\": 0.02,\n"
               "    \"slots_per_server\": 96\n  },\n"
               "  \"model\": {\n    \"logical_bytes\": \"100GB\",\n    \"updates_per_s\": 5000,\n"
               "    \"rows_touched_per_update_fraction\": 1e-08\n  },\n"
               "  \"storage\": {\n    \"local_bps\": \"2GB/s\",\n    \"regional_bps\": \"500MB/s\",\n"
               "    \"cross_region_bps\": \"100MB/s\"\n  },\n"
               "  \"network\": {\n    \"intra_region_latency_s\": 0.0005,\n    \"inter_region_latency_s\": 0.03\n  },\n"
               "  \"backup\": {\n    \"full_period_s\": \"1d\",\n    \"incremental_period_s\": \"15m\",\n"
               "    \"target\": \"cross_region\",\n    \"bandwidth_bps\": \"100MB/s\",\n    \"verify\": true,\n"
               "    \"verify_s\": \"1m\",\n    \"corruption_probability\": 0.001,\n    \"retention_full\": 7\n  },\n");
    fprintf(f,
            "  \"failover\": {\n"
            "    \"detector\": {\n      \"type\": \"phi\",\n      \"heartbeat_s\": 1,\n      \"phi_threshold\": 8,\n"
            "      \"phi_window\": 1000,\n      \"phi_min_std_s\": 0.1,\n      \"acceptable_pause_s\": 3,\n"
            "      \"collection_s\": 1,\n      \"processing_s\": 1,\n      \"accuracy\": 0.99,\n"
            "      \"miss_escalation_s\": \"15m\"\n    },\n"
            "    \"fencing_s\": 5,\n    \"switchover_s\": 30,\n    \"standby\": \"%s\",\n"
            "    \"standby_capacity_fraction\": 0.25,\n    \"scale_up_s\": \"5m\",\n    \"load_s\": \"2m\",\n"
            "    \"warmup_s\": \"1m\",\n    \"provision_s\": \"10m\",\n    \"standby_reliability\": 0.99,\n"
            "    \"replication_lag_s\": 5\n  },\n"
            "  \"disasters\": [\n",
            s->standby);
    const size_t n = sizeof default_disasters / sizeof default_disasters[0];
    for (size_t i = 0; i < n; i++) put_disaster(f, &default_disasters[i], i == n - 1);
    fprintf(f, "  ],\n  \"business\": {\n    \"conversion_rate\": 0.02,\n    \"order_value\": 60\n  }\n}\n");
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The scenario name from the output path: its base name without .json,
 * when that is a valid name; "" otherwise. */
static void name_from_path(const char *path, char *out, size_t len) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".json") == 0) n -= 5;
    snprintf(out, len, "%.*s", (int)n, base);
    if (strlen(out) != n) out[0] = '\0';
}

static bool valid_name(const char *name) {
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
    return name[0] && strlen(name) < SCENARIO_NAME_LEN && strspn(name, allowed) == strlen(name);
}

/* Refuses an output before anything is built: empty, a directory, in a
 * directory that does not exist, or (without force) an existing file. */
static int check_output(const char *path, bool force) {
    if (!path || !path[0]) return cli_usage_error("init", "-o FILE.json is required (where the scenario goes)");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_usage_error("init", "-o: %s is a directory: name the scenario file (such as %s/NAME.json)", path,
                               path);
    if (lstat(path, &st) == 0 && !force)
        return cli_usage_error("init", "-o: %s exists: choose another name, or --force to replace it", path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        slash[slash == dir ? 1 : 0] = '\0';
        struct stat ds;
        if (stat(dir, &ds) != 0)
            return cli_usage_error("init", "-o: %s: cannot write there: %s: %s", path, dir, strerror(errno));
        if (!S_ISDIR(ds.st_mode))
            return cli_usage_error("init", "-o: %s: cannot write there: %s is not a directory", path, dir);
    }
    return FD_OK;
}

/* Writes text to path through PATH.tmp.PID, then renames it over path
 * (force) or links it there (refused when path appeared meanwhile). */
static int write_file(const char *path, const char *text, bool force) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "firedrill init: cannot create %s: %s\n", tmp, strerror(errno));
        return FD_EFAIL;
    }
    size_t len = strlen(text), done = 0;
    int e = 0;
    while (done < len && !e) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno != EINTR) e = errno;
        if (w > 0) done += (size_t)w;
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && force && rename(tmp, path) != 0) e = errno;
    if (!e && !force) {
        if (link(tmp, path) != 0) {
            int le = errno;
            unlink(tmp);
            if (le == EEXIST)
                return cli_usage_error("init", "-o: %s exists: choose another name, or --force to replace it", path);
            fprintf(stderr, "firedrill init: writing %s failed: %s\n", path, strerror(le));
            return FD_EFAIL;
        }
        unlink(tmp);
    }
    if (e) {
        unlink(tmp);
        fprintf(stderr, "firedrill init: writing %s failed: %s\n", path, strerror(e));
        return FD_EFAIL;
    }
    return FD_OK;
}

int cmd_init(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"regions", required_argument, 0, 'r'},
                                         {"strategy", required_argument, 0, 's'},
                                         {"name", required_argument, 0, 'n'},
                                         {"force", no_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out_path = NULL, *name_opt = NULL;
    uint64_t regions = INIT_DEFAULT_REGIONS;
    int strategy = INIT_WARM_STANDBY;
    bool force = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'r':
            if (!cli_parse_u64("init", "--regions", optarg, 1, SCENARIO_MAX_REGIONS, &regions)) return FD_EINPUT;
            break;
        case 's':
            strategy = -1;
            for (int i = 0; i < INIT_STRATEGY_COUNT; i++)
                if (strcmp(optarg, strategies[i].name) == 0) strategy = i;
            if (strategy < 0)
                return cli_usage_error("init",
                                       "--strategy: expected backup_restore, pilot_light, warm_standby or "
                                       "active_active, got '%s'",
                                       optarg);
            break;
        case 'n': name_opt = optarg; break;
        case 'f': force = true; break;
        case 'h': fputs(init_usage, stdout); return FD_OK;
        default: return cli_usage_error("init", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
    const strategy_row *s = &strategies[strategy];
    if (regions < 2 && strategy != INIT_BACKUP_RESTORE)
        return cli_usage_error("init", "--strategy %s needs --regions 2 or more (a standby or a second active region)",
                               s->name);
    int status = check_output(out_path, force);
    if (status != FD_OK) return status;
    char name[SCENARIO_NAME_LEN];
    if (name_opt) {
        if (!valid_name(name_opt))
            return cli_usage_error("init", "--name: must be letters, digits, '_', '-', '.' (at most %zu), got '%s'",
                                   sizeof name - 1, name_opt);
        snprintf(name, sizeof name, "%s", name_opt);
    } else {
        name_from_path(out_path, name, sizeof name);
        if (!valid_name(name))
            return cli_usage_error("init",
                                   "-o: %s: its base name is not a scenario name (letters, digits, '_', '-', '.'): "
                                   "give one with --name",
                                   out_path);
    }
    char *text = starter_text(name, (int)regions, s);
    if (!text) {
        fprintf(stderr, "firedrill init: out of memory\n");
        return FD_EFAIL;
    }
    /* What init writes must parse: a failure here is a bug in this file. */
    scenario sc;
    char err[2048];
    if (!scenario_parse(&sc, out_path, text, err, sizeof err)) {
        fprintf(stderr, "firedrill init: internal error: the starter scenario does not parse: %s\n", err);
        scenario_free(&sc);
        free(text);
        return FD_EFAIL;
    }
    scenario_free(&sc);
    status = write_file(out_path, text, force);
    free(text);
    if (status != FD_OK) return status;
    printf("wrote %s: scenario %s, %s, %d region%s, %zu default disasters with their sources\n", out_path, name,
           s->name, (int)regions, regions == 1 ? "" : "s", sizeof default_disasters / sizeof default_disasters[0]);
    printf("next: firedrill validate %s; firedrill run %s --seeds 20\n", out_path, out_path);
    return FD_OK;
}
