package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concordhq/concord/internal/testutil"
	consul "github.com/hashicorp/consul/api"
)

const (
	lockKey    = "lock/leader"
	contenders = 4
)

// writeOutcome is how a fenced write ended for the client.
type writeOutcome int

const (
	acked   writeOutcome = iota + 1 // the transaction was applied
	refused                         // the transaction was rolled back: a check failed
	unknown                         // the call failed or timed out
)

// fence is what a holder knows of its lock: its session, and the lock
// key's LockIndex and ModifyIndex read right after acquiring it.
type fence struct {
	session     string
	lockIndex   uint64
	modifyIndex uint64
}

// fencedWrite is one write a contender sent behind a fence.
type fencedWrite struct {
	fence
	outcome writeOutcome
	zombie  bool // sent with the fence of a lock its sender had released
}

// lockLog is what all contenders did.
type lockLog struct {
	mu       sync.Mutex
	writes   map[string]fencedWrite // guarded by mu; by data key
	acquired []fence                // guarded by mu
}

// TestLockFencingUnderFaults has contenders take a lock through sessions
// and, while holding it, write behind a fence: a transaction that checks
// the lock key's session (check-session) and ModifyIndex (check-index)
// before setting a data key. Holders release the lock and then send one
// more write with their old fence (a zombie, which must be refused). The
// nemesis kills, pauses and partitions servers meanwhile, which also ends
// sessions. At the end, no write by a holder that had lost its lock may
// be applied: in Raft order, writes never go back to an older lock index,
// one lock index has one holder, each write lands before the next
// acquisition, no zombie lands, and every acknowledged write is there.
func TestLockFencingUnderFaults(t *testing.T) {
	c := testutil.StartProxiedCluster(t, binary, 3)
	cls := clients(t, c)
	h := newHistory() // holds the nemesis's faults
	nem := newNemesis(t, c, h, faultKinds(t))
	l := &lockLog{writes: map[string]fencedWrite{}}
	var workers []func(context.Context)
	for i := range contenders {
		workers = append(workers, func(ctx context.Context) { l.contend(ctx, cls, fmt.Sprintf("c%d", i)) })
	}
	ran := underFaults(t, c, nem, phase(t, shortPhase), workers...)
	pairs := listConsistent(t, cls[0], "fenced/")
	s := l.verify(t, pairs)
	t.Logf("%d lock acquisitions; fenced writes: %d acknowledged, %d refused, %d unknown; "+
		"%d zombie writes sent, %d refused; %d writes applied, %d acknowledged ones lost; %s, in %v",
		len(l.acquired), s.count[acked], s.count[refused], s.count[unknown],
		s.zombies, s.zombiesRefused, len(pairs), s.lost, nem.summary(), ran.Round(time.Millisecond))
	if len(l.acquired) < 2 || s.count[acked] == 0 {
		t.Errorf("the lock changed hands %d times with %d acknowledged writes: the test proves little",
			len(l.acquired), s.count[acked])
	}
}

// contend is one contender's loop until ctx ends: get a session, take the
// lock, write behind the fence one to five times, release, send a zombie.
func (l *lockLog) contend(ctx context.Context, cls []*consul.Client, name string) {
	rng := rand.New(rand.NewPCG(uint64(len(name)), uint64(time.Now().UnixNano())))
	pause := func() { time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond) }
	var sid string
	seq := 0
	for ctx.Err() == nil {
		cl := cls[rng.IntN(len(cls))]
		if sid == "" {
			id, _, err := cl.Session().Create(&consul.SessionEntry{Name: name, LockDelay: 10 * time.Millisecond}, nil)
			if err != nil {
				pause()
				continue
			}
			sid = id
		}
		ok, _, err := cl.KV().Acquire(&consul.KVPair{Key: lockKey, Value: []byte(name), Session: sid}, nil)
		if err != nil || !ok {
			// Held by another, or our session is gone (its node failed).
			if info, _, err := cl.Session().Info(sid, nil); err == nil && info == nil {
				sid = ""
			}
			pause()
			continue
		}
		pair, _, err := cl.KV().Get(lockKey, &consul.QueryOptions{RequireConsistent: true})
		if err != nil || pair == nil || pair.Session != sid {
			continue // lost it already, or cannot tell
		}
		f := fence{session: sid, lockIndex: pair.LockIndex, modifyIndex: pair.ModifyIndex}
		l.mu.Lock()
		l.acquired = append(l.acquired, f)
		l.mu.Unlock()
		for n := 1 + rng.IntN(5); n > 0 && ctx.Err() == nil; n-- {
			seq++
			if l.write(cl, name, seq, f, false) != acked {
				break
			}
		}
		released, _, err := cl.KV().Release(&consul.KVPair{Key: lockKey, Session: sid}, nil)
		if err == nil && released {
			seq++
			l.write(cls[rng.IntN(len(cls))], name, seq, f, true)
		}
		pause()
	}
}

// write sends one fenced write and records it.
func (l *lockLog) write(cl *consul.Client, name string, seq int, f fence, zombie bool) writeOutcome {
	key := fmt.Sprintf("fenced/%s-%06d", name, seq)
	ops := consul.TxnOps{
		{KV: &consul.KVTxnOp{Verb: consul.KVCheckSession, Key: lockKey, Session: f.session}},
		{KV: &consul.KVTxnOp{Verb: consul.KVCheckIndex, Key: lockKey, Index: f.modifyIndex}},
		{KV: &consul.KVTxnOp{Verb: consul.KVSet, Key: key,
			Value: []byte(f.session + " " + strconv.FormatUint(f.lockIndex, 10))}},
	}
	ok, _, _, err := cl.Txn().Txn(ops, nil)
	w := fencedWrite{fence: f, zombie: zombie, outcome: acked}
	switch {
	case err != nil:
		w.outcome = unknown
	case !ok:
		w.outcome = refused
	}
	l.mu.Lock()
	l.writes[key] = w
	l.mu.Unlock()
	return w.outcome
}

// lockStats counts what verify found.
type lockStats struct {
	count                   map[writeOutcome]int
	zombies, zombiesRefused int
	lost                    int
}

// verify checks the applied fenced writes (pairs) against what the
// contenders sent and saw.
func (l *lockLog) verify(t *testing.T, pairs consul.KVPairs) lockStats {
	t.Helper()
	s := lockStats{count: map[writeOutcome]int{}}
	for _, w := range l.writes {
		s.count[w.outcome]++
		if w.zombie {
			s.zombies++
			if w.outcome == refused {
				s.zombiesRefused++
			}
		}
	}
	// One lock index, one holder.
	holder := map[uint64]string{}
	for _, f := range l.acquired {
		if h, ok := holder[f.lockIndex]; ok && h != f.session {
			t.Errorf("lock index %d was acquired by two sessions, %s and %s", f.lockIndex, h, f.session)
		}
		holder[f.lockIndex] = f.session
	}
	// Each applied write: one that was sent, not refused, no zombie.
	present := map[string]bool{}
	for _, p := range pairs {
		present[p.Key] = true
		w, ok := l.writes[p.Key]
		switch {
		case !ok:
			t.Errorf("%s was applied but never sent", p.Key)
		case w.zombie:
			t.Errorf("%s was applied, sent by %s with the fence of lock index %d after it released the lock",
				p.Key, w.session, w.lockIndex)
		case w.outcome == refused:
			t.Errorf("%s was applied, but the client was told its transaction was rolled back", p.Key)
		case string(p.Value) != w.session+" "+strconv.FormatUint(w.lockIndex, 10):
			t.Errorf("%s = %q, want %q", p.Key, p.Value, w.session+" "+strconv.FormatUint(w.lockIndex, 10))
		}
	}
	// In Raft order, the lock index never goes back, and each write lands
	// before the next acquisition that was seen.
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].CreateIndex < pairs[j].CreateIndex })
	acqIndex := make([]uint64, 0, len(l.acquired))
	for _, f := range l.acquired {
		acqIndex = append(acqIndex, f.modifyIndex)
	}
	sort.Slice(acqIndex, func(i, j int) bool { return acqIndex[i] < acqIndex[j] })
	var prev fencedWrite
	for _, p := range pairs {
		w, ok := l.writes[p.Key]
		if !ok {
			continue
		}
		if w.lockIndex < prev.lockIndex {
			t.Errorf("%s (lock index %d, session %s) was applied at index %d after a write under lock index %d",
				p.Key, w.lockIndex, w.session, p.CreateIndex, prev.lockIndex)
		}
		if h := holder[w.lockIndex]; h != "" && h != w.session {
			t.Errorf("%s was applied under lock index %d, held by session %s, not its sender %s",
				p.Key, w.lockIndex, h, w.session)
		}
		next := sort.Search(len(acqIndex), func(i int) bool { return acqIndex[i] > w.modifyIndex })
		if next < len(acqIndex) && p.CreateIndex > acqIndex[next] {
			t.Errorf("%s (fence at index %d) was applied at index %d, after the lock was acquired again at index %d",
				p.Key, w.modifyIndex, p.CreateIndex, acqIndex[next])
		}
		prev = w
	}
	// Every acknowledged write is there.
	var lost []string
	for k, w := range l.writes {
		if w.outcome == acked && !present[k] {
			lost = append(lost, k)
		}
	}
	s.lost = len(lost)
	if len(lost) > 0 {
		sort.Strings(lost)
		t.Errorf("%d acknowledged fenced writes are lost, e.g. %s", len(lost), strings.Join(firstFew(lost), ", "))
	}
	for k, w := range l.writes {
		if w.zombie && w.outcome == acked {
			t.Errorf("%s, a zombie write (lock index %d, released), was acknowledged", k, w.lockIndex)
		}
	}
	return s
}
