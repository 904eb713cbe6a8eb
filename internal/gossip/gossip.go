// Package gossip runs a gossip pool (serf on memberlist): the LAN pool of
// a datacenter's agents, or the WAN pool of every datacenter's servers
// (Config.WAN). It says who is in the pool, who has failed, spreads user
// events to everyone, and keeps the keyring that encrypts it all
// (keyring.go). It hides serf's setup and log format; callers get serf's
// own Member and event types through two callbacks run in order on one
// goroutine.
package gossip

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/coordinate"
	"github.com/hashicorp/serf/serf"
)

// Timing is the failure detector's clock. Shorter finds failed nodes
// sooner and costs more packets and more false alarms on a busy machine.
type Timing struct {
	ProbeInterval  time.Duration // how often each node probes one other
	ProbeTimeout   time.Duration // how long a probe's ack may take
	SuspicionMult  int           // suspicion lasts this many probe intervals before "failed"
	GossipInterval time.Duration // how often state is gossiped
}

// DefaultTiming finds a dead node in about 2 s on a LAN: a probe each
// 400 ms, then a suspicion of 2 probe intervals before it is declared
// failed. Consul's LAN defaults (1 s, 500 ms, 4) take 5 s or more. Lifeguard
// (memberlist's local-health awareness) stretches the timeouts of a node
// that is itself slow, which keeps a busy machine from false alarms.
func DefaultTiming() Timing {
	return Timing{ProbeInterval: 400 * time.Millisecond, ProbeTimeout: 200 * time.Millisecond,
		SuspicionMult: 2, GossipInterval: 100 * time.Millisecond}
}

// Config configures the pool.
type Config struct {
	// WAN makes the pool a WAN pool: memberlist's WAN timing (unless
	// Timing says otherwise), and its own snapshot and keyring files
	// (remote.snapshot, WANKeyringFile) beside the LAN pool's.
	WAN           bool
	NodeName      string
	BindAddr      string
	BindPort      int // 0 picks a free port
	AdvertiseAddr string
	Tags          map[string]string
	DataDir       string // "" keeps no snapshot (dev mode)
	Timing        Timing // zero fields: DefaultTiming on a LAN, memberlist's WAN defaults on a WAN

	// EncryptKey, when set (16, 24 or 32 bytes), encrypts and
	// authenticates all gossip: members without the key cannot join. With
	// a DataDir it only bootstraps the keyring file (see KeyringFile),
	// which rules from then on.
	EncryptKey []byte
	// DisableKeyringFile keeps the keyring in memory: KeyringFile is
	// neither read nor written, so EncryptKey is the keyring at each
	// start and a rotation lasts until the agent stops
	// (disable_keyring_file).
	DisableKeyringFile bool

	// ReconnectTimeout is how long a failed member is kept (and retried)
	// before it is reaped; TombstoneTimeout the same for a member that left.
	ReconnectTimeout time.Duration
	TombstoneTimeout time.Duration

	OnMember    func(serf.MemberEvent) // membership changes
	OnUserEvent func(serf.UserEvent)   // user events, not coalesced
	Logger      *slog.Logger
}

// Pool is a running gossip pool member.
type Pool struct {
	serf     *serf.Serf
	eventCh  chan serf.Event
	doneCh   chan struct{}
	onMember func(serf.MemberEvent)
	onUser   func(serf.UserEvent)
}

// New joins no one yet: it starts this node's member; Join contacts others.
func New(cfg Config) (*Pool, error) {
	logger := log.New(&logWriter{logger: cfg.Logger}, "", 0)
	ml, t := memberlist.DefaultLANConfig(), DefaultTiming()
	snapshotFile, keyringFile := "local.snapshot", KeyringFile
	if cfg.WAN {
		ml, t = memberlist.DefaultWANConfig(), Timing{}
		snapshotFile, keyringFile = "remote.snapshot", WANKeyringFile
	}
	ml.Name = cfg.NodeName
	ml.BindAddr = cfg.BindAddr
	ml.BindPort = cfg.BindPort
	ml.AdvertisePort = cfg.BindPort
	if cfg.AdvertiseAddr != "" {
		ml.AdvertiseAddr = cfg.AdvertiseAddr
	}
	if cfg.Timing.ProbeInterval > 0 {
		t = cfg.Timing
	}
	setNonZero(&ml.ProbeInterval, t.ProbeInterval)
	setNonZero(&ml.ProbeTimeout, t.ProbeTimeout)
	setNonZero(&ml.SuspicionMult, t.SuspicionMult)
	setNonZero(&ml.GossipInterval, t.GossipInterval)
	ml.SuspicionMaxTimeoutMult = 3
	// No LZW compression: Concord's gossip messages are small, and with it
	// an idle agent sent the same bytes (536 against 530 B/s with 23
	// members) while allocating a 64 KiB table per packet sent, ~10 % of
	// its CPU (docs/scale.md). Compressed messages from others are still
	// read.
	ml.EnableCompression = false
	ml.Logger = logger
	keyringDir := cfg.DataDir
	if cfg.DisableKeyringFile {
		keyringDir = "" // as in dev mode: encrypt's key, in memory
	}
	keyring, keyringPath, err := openKeyring(keyringDir, keyringFile, cfg.EncryptKey, cfg.Logger)
	if err != nil {
		return nil, err
	}
	ml.Keyring = keyring

	sc := serf.DefaultConfig()
	sc.NodeName = cfg.NodeName
	sc.Tags = cfg.Tags
	sc.MemberlistConfig = ml
	sc.Logger = logger
	sc.EnableNameConflictResolution = true
	sc.UserEventSizeLimit = serf.UserEventSizeLimit
	sc.LeavePropagateDelay = time.Second
	// Try a failed member again every few seconds (serf's default is 30 s):
	// a member that restarted and knows no one else (its snapshot was
	// empty) is found again by the others.
	sc.ReconnectInterval = 2 * time.Second
	if cfg.ReconnectTimeout > 0 {
		sc.ReconnectTimeout = cfg.ReconnectTimeout
		sc.ReapInterval = min(sc.ReapInterval, cfg.ReconnectTimeout/2)
	}
	if cfg.TombstoneTimeout > 0 {
		sc.TombstoneTimeout = cfg.TombstoneTimeout
	}
	if cfg.DataDir != "" {
		dir := filepath.Join(cfg.DataDir, "serf")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create serf directory: %w", err)
		}
		sc.SnapshotPath = filepath.Join(dir, snapshotFile)
		sc.RejoinAfterLeave = true
	}
	if keyring != nil {
		sc.KeyringFile = keyringPath
	}
	p := &Pool{eventCh: make(chan serf.Event, 1024), doneCh: make(chan struct{}),
		onMember: cfg.OnMember, onUser: cfg.OnUserEvent}
	sc.EventCh = p.eventCh
	s, err := serf.Create(sc)
	if err != nil {
		return nil, fmt.Errorf("cannot start gossip on %s: %w",
			net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.BindPort)), err)
	}
	p.serf = s
	go p.dispatch()
	return p, nil
}

// setNonZero sets *dst to v unless v is zero.
func setNonZero[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

func (p *Pool) dispatch() {
	for {
		select {
		case <-p.serf.ShutdownCh():
			close(p.doneCh)
			return
		case ev := <-p.eventCh:
			switch e := ev.(type) {
			case serf.MemberEvent:
				if p.onMember != nil {
					p.onMember(e)
				}
			case serf.UserEvent:
				if p.onUser != nil {
					p.onUser(e)
				}
			}
		}
	}
}

// Join contacts addrs (host or host:port) and returns how many answered.
func (p *Pool) Join(addrs []string) (int, error) { return p.serf.Join(addrs, true) }

// Leave tells the pool this node is leaving on purpose and waits for it to
// spread.
func (p *Pool) Leave() error { return p.serf.Leave() }

// ForceLeave marks a failed member as left at once (prune drops it from
// the list entirely).
func (p *Pool) ForceLeave(node string, prune bool) error {
	if prune {
		return p.serf.RemoveFailedNodePrune(node)
	}
	return p.serf.RemoveFailedNode(node)
}

// Members lists every known member, including failed and left ones.
func (p *Pool) Members() []serf.Member { return p.serf.Members() }

// LocalMember is this node's own member entry.
func (p *Pool) LocalMember() serf.Member { return p.serf.LocalMember() }

// UserEvent broadcasts a user event.
func (p *Pool) UserEvent(name string, payload []byte) error {
	return p.serf.UserEvent(name, payload, false)
}

// Stats returns serf's counters for `concord info`.
func (p *Pool) Stats() map[string]string { return p.serf.Stats() }

// Shutdown stops gossip without leaving (others will see this node fail).
func (p *Pool) Shutdown() error {
	err := p.serf.Shutdown()
	<-p.doneCh
	return err
}

// logWriter turns serf's and memberlist's "[LEVEL] text" lines into slog
// records, dropping DEBUG.
type logWriter struct{ logger *slog.Logger }

func (w *logWriter) Write(b []byte) (int, error) {
	line := bytes.TrimSpace(b)
	level := slog.LevelInfo
	for prefix, l := range map[string]slog.Level{"[DEBUG]": slog.LevelDebug - 4, "[TRACE]": slog.LevelDebug - 4,
		"[INFO]": slog.LevelInfo, "[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[ERROR]": slog.LevelError} {
		if rest, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
			line, level = bytes.TrimSpace(rest), l
			break
		}
	}
	if level >= slog.LevelInfo {
		w.logger.Log(context.Background(), level, string(line))
	}
	return len(b), nil
}

var _ io.Writer = (*logWriter)(nil)

// Coordinate is this node's network coordinate, as serf's Vivaldi model
// computes it from the round trip times of gossip probes.
func (p *Pool) Coordinate() (*coordinate.Coordinate, error) { return p.serf.GetCoordinate() }

// CachedCoordinate is the last coordinate heard from member name, or nil.
func (p *Pool) CachedCoordinate(name string) *coordinate.Coordinate {
	c, ok := p.serf.GetCachedCoordinate(name)
	if !ok {
		return nil
	}
	return c
}
