package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/cache"
	"github.com/concordhq/concord/internal/call"
)

// readCached is read for the endpoints Consul's agent caches (catalog
// services and service, health service). With ?cached the answer comes
// from the agent's cache, kept current by one background blocking query
// per distinct read, and says so: X-Cache HIT or MISS, and Age on a hit
// (0 while the cache is in touch with the servers). The cache reads with
// ?stale, as a cached answer may lag anyway. A request's Cache-Control
// max-age bounds the age it accepts (older: the servers are asked), and
// stale-if-error lets an older answer stand when they cannot be reached.
func readCached[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	fn func(ctx context.Context, q *api.QueryOptions) (T, api.QueryMeta, error)) (T, error) {
	if !has(r.URL.Query(), "cached") || h.cache == nil {
		return read(h, w, r, fn)
	}
	maxAge, staleIfError := parseCacheControl(r.Header.Get("Cache-Control"))
	return read(h, w, r, func(ctx context.Context, q *api.QueryOptions) (T, api.QueryMeta, error) {
		var zero T
		token, _ := call.TokenFrom(ctx)
		fetch := func(fctx context.Context, index uint64) (any, api.QueryMeta, error) {
			o := *q
			o.AllowStale, o.MaxStale, o.MinQueryIndex, o.MaxQueryTime = true, 0, index, 0
			if index > 0 {
				o.MaxQueryTime = cache.RefreshWait
			}
			return fn(call.WithToken(fctx, token), &o)
		}
		res, err := h.cache.Get(ctx, cacheKey(r.URL, token), q.MinQueryIndex, queryWait(q), fetch)
		if err != nil {
			return zero, api.QueryMeta{}, err
		}
		if maxAge >= 0 && res.Age > maxAge {
			v, m, err := fn(ctx, q)
			switch {
			case err == nil:
				res = cache.Result{Value: v, Meta: m}
			case staleIfError < 0 || res.Age > maxAge+staleIfError:
				return zero, m, err
			}
		}
		if res.Hit {
			w.Header().Set("X-Cache", "HIT")
			w.Header().Set("Age", strconv.Itoa(int(res.Age.Seconds())))
		} else {
			w.Header().Set("X-Cache", "MISS")
		}
		v, _ := res.Value.(T)
		return v, res.Meta, nil
	})
}

// queryWait is how long a blocking read waits (Consul's default 5 min).
func queryWait(q *api.QueryOptions) time.Duration {
	if q.MaxQueryTime > 0 {
		return min(q.MaxQueryTime, call.MaxQueryTime)
	}
	return call.DefaultQueryTime
}

// cacheKey names a read in the cache: its path, the parameters that shape
// the answer (sorted), and the token, whose rights filter it.
func cacheKey(u *url.URL, token string) string {
	q := u.Query()
	for _, p := range []string{"cached", "index", "wait", "stale", "consistent", "max_stale", "token"} {
		q.Del(p)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u.Path)
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString("\x00" + k + "=" + v)
		}
	}
	return b.String() + "\x00token=" + token
}

// parseCacheControl reads max-age and stale-if-error (seconds) from a
// request's Cache-Control; -1 for one not given.
func parseCacheControl(h string) (maxAge, staleIfError time.Duration) {
	maxAge, staleIfError = -1, -1
	for _, part := range strings.Split(h, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			continue
		}
		switch strings.ToLower(name) {
		case "max-age":
			maxAge = time.Duration(n) * time.Second
		case "stale-if-error":
			staleIfError = time.Duration(n) * time.Second
		}
	}
	return maxAge, staleIfError
}
