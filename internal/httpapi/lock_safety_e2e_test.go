package httpapi_test

// A mutual-exclusion stress test: contenders loop over one KV lock while a
// chaos goroutine destroys their sessions at random.
//
// Sessions favour liveness: when a holder's session is destroyed the key is
// released at once (its lock-delay here is 1ms), and the old holder, still
// inside its critical section, does not know yet. Such overlaps are the
// documented price of session invalidation, not a server bug, so the board
// below tells them apart: two holders at once is a violation unless the
// earlier one's session had been destroyed by the chaos goroutine.

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	consulapi "github.com/hashicorp/consul/api"
)

// safetyBoard is the contenders' shared view of who holds the lock.
type safetyBoard struct {
	mu            sync.Mutex
	cur           *safetyHolder   // guarded by mu; who believes it holds the lock, or nil
	sessions      []string        // guarded by mu; each contender's current session
	revoked       map[string]bool // guarded by mu; sessions the chaos goroutine destroyed
	lastLockIndex uint64          // guarded by mu; LockIndex of the last recorded acquisition
	violations    []string        // guarded by mu

	acquisitions   atomic.Int64 // critical sections entered with a live session
	lostToChaos    atomic.Int64 // acquisitions whose session died before the section began
	overlaps       atomic.Int64 // another holder entered after the chaos killed the current one
	staleWrites    atomic.Int64 // read-backs that saw a write by a killed holder
	chaosDestroys  atomic.Int64
	chaosOnHolder  atomic.Int64 // destroys that hit the believed holder
	failedReleases atomic.Int64 // releases refused because the chaos had killed the session
	attempts       atomic.Int64 // acquire calls
}

type safetyHolder struct {
	contender int
	session   string
	lockIndex uint64
}

func (b *safetyBoard) violatef(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.violateLocked(format, args...)
}

func (b *safetyBoard) violateLocked(format string, args ...any) {
	if len(b.violations) < 20 {
		b.violations = append(b.violations, fmt.Sprintf(format, args...))
	}
}

// enter records that contender i, holding session at lockIndex, begins its
// critical section. It reports false when the session had already been
// destroyed (the acquisition is stale and the section is skipped).
func (b *safetyBoard) enter(i int, session string, lockIndex uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.revoked[session] {
		b.lostToChaos.Add(1)
		return false
	}
	if cur := b.cur; cur != nil {
		if b.revoked[cur.session] {
			b.overlaps.Add(1)
		} else {
			b.violateLocked("two holders: contender %d (session %s, LockIndex %d) entered while contender %d (session %s, LockIndex %d) held the lock",
				i, session, lockIndex, cur.contender, cur.session, cur.lockIndex)
		}
	}
	if lockIndex <= b.lastLockIndex {
		b.violateLocked("LockIndex did not grow: contender %d acquired at %d after %d", i, lockIndex, b.lastLockIndex)
	}
	b.lastLockIndex = lockIndex
	b.cur = &safetyHolder{i, session, lockIndex}
	b.acquisitions.Add(1)
	return true
}

// leave ends contender i's critical section, if the board still has it as
// the holder (a later holder may have replaced it after the chaos).
func (b *safetyBoard) leave(i int, session string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil && b.cur.contender == i && b.cur.session == session {
		b.cur = nil
	}
}

// readBack checks what contender i read back from the holder key.
func (b *safetyBoard) readBack(i int, session, want, got string) {
	if got == want {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	writer := strings.Split(got, "/")
	switch {
	case b.revoked[session]:
		b.staleWrites.Add(1) // i was killed; a new holder wrote
	case len(writer) == 3 && b.revoked[writer[1]]:
		b.staleWrites.Add(1) // a killed holder wrote over i
	default:
		b.violateLocked("contender %d (session %s) wrote %q but read back %q", i, session, want, got)
	}
}

func (b *safetyBoard) isRevoked(session string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.revoked[session]
}

func (b *safetyBoard) setSession(i int, session string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions[i] = session
}

// revokeSession marks contender i's session as destroyed before the chaos
// goroutine destroys it, so every acquisition the destroy allows sees the
// mark. It returns the session ("" if none).
func (b *safetyBoard) revokeSession(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[i]
	if s == "" {
		return ""
	}
	b.revoked[s] = true
	b.sessions[i] = ""
	if b.cur != nil && b.cur.session == s {
		b.chaosOnHolder.Add(1)
	}
	return s
}

func TestLockSafetyUnderChaos(t *testing.T) {
	t.Parallel()
	ta, c := startSessionAgent(t)
	addr := ta.HTTPAddr()
	const (
		contenders      = 8
		runFor          = 4 * time.Second
		maxAcquisitions = 2000
		lockKey         = "safety/lock"
		holderKey       = "safety/holder"
		lockDelay       = time.Millisecond // the smallest the Consul client can send
	)
	board := &safetyBoard{sessions: make([]string, contenders), revoked: map[string]bool{}}
	deadline := time.Now().Add(runFor)
	over := func() bool {
		return time.Now().After(deadline) || board.acquisitions.Load() >= maxAcquisitions
	}
	clients := make([]*consulapi.Client, contenders+1)
	for i := range clients {
		clients[i] = newConsulClient(t, addr, nil)
	}

	contender := func(i int, c *consulapi.Client) {
		kv := c.KV()
		var session string
		for !over() {
			if session == "" || board.isRevoked(session) {
				id, _, err := c.Session().Create(&consulapi.SessionEntry{Name: fmt.Sprintf("contender-%d", i), LockDelay: lockDelay}, nil)
				if err != nil {
					board.violatef("contender %d: Session.Create: %v", i, err)
					return
				}
				session = id
				board.setSession(i, id)
			}
			board.attempts.Add(1)
			ok, _, err := kv.Acquire(&consulapi.KVPair{Key: lockKey, Value: []byte(fmt.Sprint(i)), Session: session}, nil)
			if err != nil {
				if !board.isRevoked(session) {
					board.violatef("contender %d: Acquire with live session %s: %v", i, session, err)
					return
				}
				continue // the chaos killed our session: take a new one
			}
			if !ok {
				// Held (or in its 1ms lock-delay): wait for a change.
				p, meta, err := kv.Get(lockKey, nil)
				if err == nil && p != nil && p.Session != "" {
					_, _, err = kv.Get(lockKey, &consulapi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 250 * time.Millisecond})
				}
				if err != nil {
					board.violatef("contender %d: Get(%s): %v", i, lockKey, err)
					return
				}
				continue
			}

			p, _, err := kv.Get(lockKey, nil)
			if err != nil || p == nil {
				board.violatef("contender %d: Get(%s) after acquiring = %v, %v", i, lockKey, p, err)
				return
			}
			if p.Session != session {
				if !board.isRevoked(session) {
					board.violatef("contender %d: acquired %s but it reads as held by %q", i, lockKey, p.Session)
				}
				continue
			}
			if !board.enter(i, session, p.LockIndex) {
				continue
			}
			mine := fmt.Sprintf("%d/%s/%d", i, session, p.LockIndex)
			if _, err := kv.Put(&consulapi.KVPair{Key: holderKey, Value: []byte(mine)}, nil); err != nil {
				board.violatef("contender %d: Put(%s): %v", i, holderKey, err)
				return
			}
			h, _, err := kv.Get(holderKey, nil)
			if err != nil || h == nil {
				board.violatef("contender %d: Get(%s) = %v, %v", i, holderKey, h, err)
				return
			}
			board.readBack(i, session, mine, string(h.Value))
			board.leave(i, session)
			released, _, err := kv.Release(&consulapi.KVPair{Key: lockKey, Session: session}, nil)
			if err != nil || !released {
				if !board.isRevoked(session) {
					board.violatef("contender %d: Release with live session %s = %v, %v", i, session, released, err)
					return
				}
				board.failedReleases.Add(1)
			}
		}
	}

	chaos := func(c *consulapi.Client) {
		rng := rand.New(rand.NewPCG(1, 2))
		for !over() {
			// A pace, not a wait for a condition.
			time.Sleep(time.Duration(5+rng.IntN(30)) * time.Millisecond)
			s := board.revokeSession(rng.IntN(contenders))
			if s == "" {
				continue
			}
			if _, err := c.Session().Destroy(s, nil); err != nil {
				board.violatef("chaos: Session.Destroy(%s): %v", s, err)
				return
			}
			board.chaosDestroys.Add(1)
		}
	}

	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < contenders; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); contender(i, clients[i]) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); chaos(clients[contenders]) }()
	wg.Wait()
	elapsed := time.Since(start)

	board.mu.Lock()
	violations, lastLockIndex := board.violations, board.lastLockIndex
	board.mu.Unlock()
	acq := board.acquisitions.Load()
	t.Logf("%d contenders for %v: %d acquisitions (%.0f/s), %d acquire calls, last LockIndex %d",
		contenders, elapsed.Round(time.Millisecond), acq, float64(acq)/elapsed.Seconds(), board.attempts.Load(), lastLockIndex)
	t.Logf("chaos: %d sessions destroyed, %d of them the holder's; %d acquisitions lost before their section, %d overlaps after a kill, %d stale writes seen, %d releases refused",
		board.chaosDestroys.Load(), board.chaosOnHolder.Load(), board.lostToChaos.Load(), board.overlaps.Load(),
		board.staleWrites.Load(), board.failedReleases.Load())
	for _, v := range violations {
		t.Errorf("violation: %s", v)
	}
	if acq < contenders {
		t.Errorf("only %d acquisitions in %v, want at least %d", acq, elapsed, contenders)
	}
	if board.chaosDestroys.Load() == 0 {
		t.Errorf("the chaos goroutine destroyed no session")
	}
	if p := mustGet(t, c, lockKey); p == nil || p.LockIndex < lastLockIndex {
		t.Errorf("final %s = %+v, want LockIndex >= %d", lockKey, p, lastLockIndex)
	}
}
