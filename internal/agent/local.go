package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
	"github.com/concordhq/concord/internal/checks"
	"github.com/concordhq/concord/internal/local"
)

// checkRunner is what the agent needs of the check runners.
type checkRunner interface {
	Add(id string, def *api.AgentServiceCheck, fromConfigFile bool) error
	Remove(id string)
	UpdateTTL(id, status, output string) error
	Validate(def *api.AgentServiceCheck, fromConfigFile bool) error
	Stop()
}

// AgentServices lists the services registered on this agent.
func (a *Agent) AgentServices() map[string]*api.AgentService { return a.local.Services() }

// AgentService returns one local service with its ContentHash, and a
// channel closed at the next change to the agent's services.
func (a *Agent) AgentService(id string) (*api.AgentService, <-chan struct{}, error) {
	changed := a.local.ServicesChanged() // before reading, so no change is missed
	svc, ok := a.local.Services()[id]
	if !ok {
		return nil, changed, api.NotFoundError{Reason: fmt.Sprintf("unknown service ID: %s", id)}
	}
	svc.ContentHash = contentHash(svc)
	return svc, changed, nil
}

// AgentServiceRegister registers a service and its checks on this agent;
// replaceChecks drops the service's checks that the registration does not
// name (?replace-existing-checks).
func (a *Agent) AgentServiceRegister(reg *api.AgentServiceRegistration, replaceChecks bool) error {
	return a.synced(a.registerService(reg, replaceChecks, false))
}

// registrationSyncWait bounds how long a registration through the API
// waits for the catalog to have it. Consul answers at once and syncs in
// the background, so that a catalog read right after the answer may miss
// the change; here it is there unless the servers are slow to take it
// (no leader), when the answer comes after this wait and anti-entropy
// keeps trying.
const registrationSyncWait = time.Second

// synced waits, after a local change that err did not refuse, until the
// catalog has it (or registrationSyncWait passes), and returns err.
func (a *Agent) synced(err error) error {
	if err != nil {
		return err
	}
	n := a.local.Changes()
	a.local.Trigger()
	ctx, cancel := context.WithTimeout(context.Background(), registrationSyncWait)
	defer cancel()
	a.local.WaitPushed(ctx, n)
	return nil
}

func (a *Agent) registerService(reg *api.AgentServiceRegistration, replaceChecks, fromFile bool) error {
	if reg.Name == "" {
		return api.BadRequestError{Reason: "Missing service name"}
	}
	if err := reg.Ports.Validate(); err != nil {
		return api.BadRequestError{Reason: "Invalid Ports: " + err.Error()}
	}
	if err := api.ValidateMesh(reg.Kind, reg.Port, reg.SocketPath, reg.Proxy, reg.Connect); err != nil {
		return api.BadRequestError{Reason: "Invalid Service: " + err.Error()}
	}
	svc := &api.AgentService{
		Kind: reg.Kind, Proxy: reg.Proxy, Connect: reg.Connect,
		ID: reg.ID, Service: reg.Name, Tags: reg.Tags, Port: reg.Port, Ports: reg.Ports, Address: reg.Address,
		SocketPath: reg.SocketPath, TaggedAddresses: reg.TaggedAddresses, Meta: reg.Meta,
		EnableTagOverride: reg.EnableTagOverride, Locality: reg.Locality,
	}
	if svc.ID == "" {
		svc.ID = reg.Name
	}
	if reg.Weights != nil {
		svc.Weights = *reg.Weights
	}
	defs := reg.Checks
	if reg.Check != nil {
		defs = append([]*api.AgentServiceCheck{reg.Check}, defs...)
	}
	checks := make([]*api.AgentCheckRegistration, 0, len(defs))
	for i, def := range defs {
		if def == nil {
			continue
		}
		c := &api.AgentCheckRegistration{ID: def.CheckID, ServiceID: svc.ID, AgentServiceCheck: *def}
		if c.ID == "" {
			c.ID = "service:" + svc.ID
			if len(defs) > 1 {
				c.ID = fmt.Sprintf("service:%s:%d", svc.ID, i+1)
			}
		}
		if c.Name == "" {
			c.Name = fmt.Sprintf("Service '%s' check", svc.Service)
		}
		if err := a.validateCheck(c, fromFile); err != nil {
			return err
		}
		checks = append(checks, c)
	}
	if err := a.local.AddService(svc, !fromFile); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, c := range checks {
		keep[c.ID] = true
		if err := a.addCheck(c, fromFile); err != nil {
			return err
		}
	}
	if replaceChecks {
		for id, c := range a.local.Checks() {
			if c.ServiceID == svc.ID && !keep[id] && !strings.HasPrefix(id, local.ServiceMaintPrefix) {
				a.removeCheck(id)
			}
		}
	}
	return nil
}

// validateCheck rejects a check before anything is registered.
func (a *Agent) validateCheck(c *api.AgentCheckRegistration, fromFile bool) error {
	if err := checks.CheckDurations(&c.AgentServiceCheck); err != nil {
		return api.BadRequestError{Reason: "Request decode failed: " + err.Error()}
	}
	if c.Name == "" {
		return api.BadRequestError{Reason: "Missing check name"}
	}
	if err := a.runner.Validate(&c.AgentServiceCheck, fromFile); err != nil {
		return api.BadRequestError{Reason: fmt.Sprintf("Check %q: %v", c.Name, err)}
	}
	return nil
}

// addCheck registers a validated check locally and starts its runner.
func (a *Agent) addCheck(c *api.AgentCheckRegistration, fromFile bool) error {
	def := c.AgentServiceCheck
	hc := &api.HealthCheck{
		CheckID: c.ID, Name: c.Name, Notes: c.Notes, ServiceID: c.ServiceID,
		Status: def.Status, Type: checkType(&def),
	}
	if err := a.local.AddCheck(hc, &def, !fromFile); err != nil {
		return api.BadRequestError{Reason: err.Error()}
	}
	if err := a.runner.Add(c.ID, &def, fromFile); err != nil {
		a.local.RemoveCheck(c.ID)
		return api.BadRequestError{Reason: err.Error()}
	}
	return nil
}

func (a *Agent) removeCheck(id string) error {
	a.runner.Remove(id)
	return a.local.RemoveCheck(id)
}

// AgentServiceDeregister removes a local service and its checks.
func (a *Agent) AgentServiceDeregister(id string) error {
	for cid, c := range a.local.Checks() {
		if c.ServiceID == id {
			a.runner.Remove(cid)
		}
	}
	if err := a.local.RemoveService(id); err != nil {
		return api.NotFoundError{Reason: fmt.Sprintf("Unknown service ID %q. Ensure that the service ID is passed, not the service name.", id)}
	}
	return a.synced(nil)
}

// AgentChecks lists the checks registered on this agent.
func (a *Agent) AgentChecks() map[string]*api.AgentCheck {
	out := map[string]*api.AgentCheck{}
	for id, c := range a.local.Checks() {
		out[id] = &api.AgentCheck{
			Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes,
			Output: c.Output, ServiceID: c.ServiceID, ServiceName: c.ServiceName,
			ServiceTags: nonNil(c.ServiceTags), Type: c.Type,
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// AgentCheckRegister registers a check on this agent.
func (a *Agent) AgentCheckRegister(reg *api.AgentCheckRegistration) error {
	if reg.ID == "" {
		reg.ID = reg.CheckID
	}
	if reg.ID == "" {
		reg.ID = reg.Name
	}
	if reg.ServiceID != "" {
		if _, ok := a.local.Services()[reg.ServiceID]; !ok {
			return api.BadRequestError{Reason: fmt.Sprintf("ServiceID %q does not exist", reg.ServiceID)}
		}
	}
	if err := a.validateCheck(reg, false); err != nil {
		return err
	}
	return a.synced(a.addCheck(reg, false))
}

// AgentCheckDeregister removes a local check.
func (a *Agent) AgentCheckDeregister(id string) error {
	if err := a.removeCheck(id); err != nil {
		return api.NotFoundError{Reason: fmt.Sprintf("Unknown check ID %q. Ensure that the check ID is passed, not the check name.", id)}
	}
	return a.synced(nil)
}

// AgentCheckUpdate sets the status of a TTL check (pass/warn/fail/update).
func (a *Agent) AgentCheckUpdate(id, status, output string) error {
	if _, ok := a.local.Checks()[id]; !ok {
		return api.NotFoundError{Reason: fmt.Sprintf("Unknown check ID %q", id)}
	}
	if err := a.runner.UpdateTTL(id, status, output); err != nil {
		return fmt.Errorf("CheckID %q does not have associated TTL", id)
	}
	return nil
}

// AgentNodeMaintenance puts this node in or out of maintenance.
func (a *Agent) AgentNodeMaintenance(enable bool, reason string) error {
	return a.local.SetNodeMaintenance(enable, reason)
}

// AgentServiceMaintenance puts a local service in or out of maintenance.
func (a *Agent) AgentServiceMaintenance(id string, enable bool, reason string) error {
	err := a.local.SetServiceMaintenance(id, enable, reason)
	if errors.Is(err, local.ErrUnknownService) {
		return api.NotFoundError{Reason: fmt.Sprintf("Unknown service ID %q", id)}
	}
	return err
}

// AgentServiceHealth returns a local service with its aggregated status.
func (a *Agent) AgentServiceHealth(id string) (*api.AgentService, string, bool) {
	return a.local.ServiceHealth(id)
}

// checkType names a check's kind for the catalog's Type field; "" when the
// definition names none.
var checkType = checks.Type

// aliasSource answers alias checks from this server's catalog.
type aliasSource struct{ a *Agent }

// AliasStatus blocks until the aggregated status of node (and, when set,
// serviceID on it) may have changed past waitIndex, then returns it.
func (s aliasSource) AliasStatus(ctx context.Context, node, serviceID string, waitIndex uint64) (string, uint64, error) {
	res, err := call.NodeChecks.Invoke(ctx, s.a.calls, call.NodeArgs{
		Query: call.Query{Q: &api.QueryOptions{AllowStale: true, MinQueryIndex: waitIndex}}, Node: node})
	if err != nil {
		return "", 0, err
	}
	status := api.HealthPassing
	for _, c := range res.Value {
		if serviceID != "" && c.ServiceID != "" && c.ServiceID != serviceID {
			continue
		}
		if serviceID == "" && c.ServiceID != "" {
			continue
		}
		switch {
		case c.Status == api.HealthCritical:
			status = api.HealthCritical
		case c.Status == api.HealthWarning && status == api.HealthPassing:
			status = api.HealthWarning
		}
	}
	return status, res.Meta.LastIndex, nil
}

// catalog is the local syncer's view of the catalog: the agent's store,
// this server or, on a client agent, the servers over RPC.
type catalog struct{ a *Agent }

func (c catalog) Register(ctx context.Context, req *api.CatalogRegistration) error {
	_, err := call.CatalogRegister.Invoke(ctx, c.a.calls, call.RegisterArgs{Reg: req})
	return err
}

func (c catalog) Deregister(ctx context.Context, req *api.CatalogDeregistration) error {
	_, err := call.CatalogDeregister.Invoke(ctx, c.a.calls, call.DeregisterArgs{Dereg: req})
	return err
}

func (c catalog) NodeView(ctx context.Context, node string) (*api.Node, map[string]*api.NodeService, map[string]*api.HealthCheck, error) {
	cn, err := call.CatalogNode.Invoke(ctx, c.a.calls, call.NodeArgs{Node: node})
	if err != nil {
		return nil, nil, nil, err
	}
	var n *api.Node
	services := map[string]*api.NodeService{}
	if cn.Value != nil {
		n, services = cn.Value.Node, cn.Value.Services
	}
	list, err := call.NodeChecks.Invoke(ctx, c.a.calls, call.NodeArgs{Node: node})
	if err != nil {
		return nil, nil, nil, err
	}
	checks := map[string]*api.HealthCheck{}
	for _, hc := range list.Value {
		checks[hc.CheckID] = hc
	}
	return n, services, checks, nil
}
