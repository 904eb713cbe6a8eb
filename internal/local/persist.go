package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/concordhq/concord/api"
)

// Services and checks registered through the API are kept, one JSON file
// each, under DataDir/services and DataDir/checks, so a restart keeps them.
// Files are written to a temporary name, synced, then renamed.

// PersistedCheck is a check as saved in the data dir. Definition is nil
// for checks without a runner (maintenance).
type PersistedCheck struct {
	Check      *api.HealthCheck
	Definition *api.AgentServiceCheck
}

func (l *State) path(kind, id string) string {
	return filepath.Join(l.cfg.DataDir, kind, url.PathEscape(id)+".json")
}

func (l *State) saveService(svc *api.AgentService) error {
	return l.save(l.path("services", svc.ID), svc)
}

func (l *State) saveCheck(chk *api.HealthCheck, def *api.AgentServiceCheck) error {
	return l.save(l.path("checks", chk.CheckID), PersistedCheck{Check: chk, Definition: def})
}

func (l *State) forgetService(id string) { l.forget(l.path("services", id)) }
func (l *State) forgetCheck(id string)   { l.forget(l.path("checks", id)) }

func (l *State) save(path string, v any) error {
	if l.cfg.DataDir == "" {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cannot encode %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	return os.Rename(tmp, path)
}

func (l *State) forget(path string) {
	if l.cfg.DataDir == "" {
		return
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.cfg.Logger.Warn("cannot remove persisted entry", "path", path, "error", err)
	}
}

// LoadPersisted reads the services and checks saved under dataDir.
func LoadPersisted(dataDir string) ([]*api.AgentService, []PersistedCheck, error) {
	if dataDir == "" {
		return nil, nil, nil
	}
	var services []*api.AgentService
	err := readDir(filepath.Join(dataDir, "services"), func(data []byte) error {
		var svc api.AgentService
		if err := json.Unmarshal(data, &svc); err != nil {
			return err
		}
		services = append(services, &svc)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var checks []PersistedCheck
	err = readDir(filepath.Join(dataDir, "checks"), func(data []byte) error {
		var pc PersistedCheck
		if err := json.Unmarshal(data, &pc); err != nil {
			return err
		}
		if pc.Check == nil {
			return errors.New("no check")
		}
		checks = append(checks, pc)
		return nil
	})
	return services, checks, err
}

func readDir(dir string, fn func([]byte) error) error {
	matches, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range matches {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", path, err)
		}
		if err := fn(data); err != nil {
			return fmt.Errorf("cannot load %s: %w", path, err)
		}
	}
	return nil
}
