package state

import (
	"sync"

	"github.com/hashicorp/go-memdb"
)

// kvWatches wakes blocking KV reads, which memdb's radix nodes did while
// keys lived there (see kvTree). A read registers a channel for its key or
// prefix before it opens its memdb transaction; a write transaction closes,
// after its commit, the channels of every prefix of every key it changed.
// So a read either sees the write, or was registered before the write's
// notification and wakes. A read of a key wakes on writes to longer keys
// too ("a" on "ab"): a spurious wake-up, which blocking queries absorb.
//
// A channel lives until a write under its prefix; prefixes that are
// watched and never written stay, one small entry each.
type kvWatches struct {
	mu    sync.Mutex
	chans map[string]chan struct{} // key prefix → closed at the next change under it; guarded by mu
}

// watch adds to ws the channel of prefix. A nil ws (a read that does not
// block) registers nothing.
func (w *kvWatches) watch(ws memdb.WatchSet, prefix string) {
	if ws == nil {
		return
	}
	w.mu.Lock()
	ch, ok := w.chans[prefix]
	if !ok {
		if w.chans == nil {
			w.chans = map[string]chan struct{}{}
		}
		ch = make(chan struct{})
		w.chans[prefix] = ch
	}
	w.mu.Unlock()
	ws.Add(ch)
}

// notify wakes the watches of every prefix of each of keys.
func (w *kvWatches) notify(keys []string) {
	if len(keys) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.chans) == 0 {
		return
	}
	for _, key := range keys {
		for i := 0; i <= len(key); i++ {
			if ch, ok := w.chans[key[:i]]; ok {
				close(ch)
				delete(w.chans, key[:i])
			}
		}
	}
}
