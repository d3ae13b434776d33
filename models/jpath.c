/* JSON paths over cJSON trees (models/jpath.h). */
#include "models/jpath.h"
#include "util/fd_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reasons go through the models' one formatter (util/fd_status.h): a failed
 * parse ends `return fd_errf(why, whylen, false, ...)`. */

bool jpath_parse(jpath *p, const char *text, char *why, size_t whylen) {
    p->n = 0;
    const char *c = text;
    if (!*c) return fd_errf(why, whylen, false, "empty path");
    while (*c) {
        if (p->n == JPATH_MAX_STEPS) return fd_errf(why, whylen, false, "path \"%s\" is too deep", text);
        jpath_step *s = &p->steps[p->n];
        memset(s, 0, sizeof *s);
        if (*c == '[') {
            char *end = NULL;
            errno = 0;
            long i = c[1] >= '0' && c[1] <= '9' ? strtol(c + 1, &end, 10) : -1;
            if (i < 0 || *end != ']' || errno)
                return fd_errf(why, whylen, false, "path \"%s\": expected [INDEX] with INDEX >= 0 at \"%s\"", text, c);
            s->is_index = true;
            s->index = i;
            c = end + 1;
        } else {
            size_t len = strcspn(c, ".[");
            if (len == 0) return fd_errf(why, whylen, false, "path \"%s\": empty key", text);
            if (len >= sizeof s->key) return fd_errf(why, whylen, false, "path \"%s\": key too long", text);
            memcpy(s->key, c, len);
            s->key[len] = '\0';
            c += len;
        }
        p->n++;
        if (*c == '.') {
            c++;
            if (!*c || *c == '.' || *c == '[') return fd_errf(why, whylen, false, "path \"%s\": empty key", text);
        } else if (*c && *c != '[') {
            return fd_errf(why, whylen, false, "path \"%s\": unexpected \"%c\"", text, *c);
        }
    }
    return true;
}

void jpath_format(const jpath *p, size_t n, char *out, size_t len) {
    if (!len) return;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && i < p->n && used < len; i++) {
        const jpath_step *s = &p->steps[i];
        int w = s->is_index ? snprintf(out + used, len - used, "[%ld]", s->index)
                            : snprintf(out + used, len - used, "%s%s", used ? "." : "", s->key);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* The child of node at step s, or NULL. */
static cJSON *child(const cJSON *node, const jpath_step *s) {
    if (s->is_index)
        return cJSON_IsArray(node) && s->index < cJSON_GetArraySize(node) ? cJSON_GetArrayItem(node, (int)s->index)
                                                                          : NULL;
    return cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, s->key) : NULL;
}

const cJSON *jpath_get(const cJSON *root, const char *path) {
    jpath p;
    if (!root || !jpath_parse(&p, path, NULL, 0)) return NULL;
    const cJSON *node = root;
    for (size_t i = 0; node && i < p.n; i++) node = child(node, &p.steps[i]);
    return node;
}

cfg_status jpath_set(cJSON *root, const char *path, const cJSON *value, char *why, size_t whylen) {
    jpath p;
    if (!jpath_parse(&p, path, why, whylen)) return CFG_EINPUT;
    cJSON *node = root;
    char where[512];
    for (size_t i = 0; i < p.n; i++) {
        const jpath_step *s = &p.steps[i];
        jpath_format(&p, i, where, sizeof where);
        const char *at = where[0] ? where : "the top level";
        if (s->is_index && !cJSON_IsArray(node))
            return (cfg_status)fd_errf(why, whylen, CFG_EINPUT, "path \"%s\": %s is not an array", path, at);
        if (!s->is_index && !cJSON_IsObject(node))
            return (cfg_status)fd_errf(why, whylen, CFG_EINPUT, "path \"%s\": %s is not an object", path, at);
        int size = s->is_index ? cJSON_GetArraySize(node) : 0;
        if (s->is_index && s->index >= size)
            return (cfg_status)fd_errf(why, whylen, CFG_EINPUT, "path \"%s\": %s has %d item(s), no [%ld]", path, at,
                                       size, s->index);
        cJSON *next = child(node, s);
        if (i + 1 == p.n) {
            cJSON *copy = cJSON_Duplicate(value, true);
            bool ok = copy != NULL;
            if (ok && s->is_index)
                ok = cJSON_ReplaceItemInArray(node, (int)s->index, copy);
            else if (ok && next)
                ok = cJSON_ReplaceItemInObjectCaseSensitive(node, s->key, copy);
            else if (ok)
                ok = cJSON_AddItemToObject(node, s->key, copy);
            if (!ok) {
                cJSON_Delete(copy);
                return (cfg_status)fd_errf(why, whylen, CFG_EFAIL, "out of memory");
            }
            return CFG_OK;
        }
        if (!next && p.steps[i + 1].is_index) {
            jpath_format(&p, i + 1, where, sizeof where);
            return (cfg_status)fd_errf(why, whylen, CFG_EINPUT, "path \"%s\": %s is absent, cannot index it", path,
                                       where);
        }
        /* An absent section reads as defaults in a scenario: create it, so
         * that one key of it can be set. */
        if (!next && !(next = cJSON_AddObjectToObject(node, s->key)))
            return (cfg_status)fd_errf(why, whylen, CFG_EFAIL, "out of memory");
        node = next;
    }
    return CFG_OK;
}
