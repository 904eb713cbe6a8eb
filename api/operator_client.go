package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// AutopilotGetConfiguration returns the autopilot configuration.
func (o *Operator) AutopilotGetConfiguration(q *QueryOptions) (*AutopilotConfiguration, error) {
	var out AutopilotConfiguration
	if _, err := o.c.read("/v1/operator/autopilot/configuration", queryParams(q), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AutopilotCASConfiguration replaces the autopilot configuration if its
// ModifyIndex is still conf.ModifyIndex, and reports whether it did.
func (o *Operator) AutopilotCASConfiguration(conf *AutopilotConfiguration) (bool, error) {
	var ok bool
	p := url.Values{"cas": {strconv.FormatUint(conf.ModifyIndex, 10)}}
	err := o.c.send(http.MethodPut, "/v1/operator/autopilot/configuration", p, conf, &ok)
	return ok, err
}

// AutopilotState returns the leader's view of every server's health.
func (o *Operator) AutopilotState(q *QueryOptions) (*AutopilotState, error) {
	var out AutopilotState
	if _, err := o.c.read("/v1/operator/autopilot/state", queryParams(q), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftLeaderTransfer makes the leader hand over to the server with Raft
// ID id, or to the voter Raft picks when id is "".
func (o *Operator) RaftLeaderTransfer(id string) (*TransferLeaderResponse, error) {
	p := url.Values{}
	if id != "" {
		p.Set("id", id)
	}
	var out TransferLeaderResponse
	if err := o.c.send(http.MethodPost, "/v1/operator/raft/transfer-leader", p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KeyringList lists the gossip keys each pool's members hold; with
// localOnly, this datacenter's pools only (no WAN). relay (0–5) asks
// each member's answer to be relayed by that many others too, for lossy
// networks.
func (o *Operator) KeyringList(localOnly bool, relay int) ([]*KeyringResponse, error) {
	p := relayParam(relay)
	if localOnly {
		p.Set("local-only", "true")
	}
	var out []*KeyringResponse
	if _, err := o.c.read("/v1/operator/keyring", p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// KeyringInstall adds key (base64) to every member's keyring.
func (o *Operator) KeyringInstall(key string, relay int) error {
	return o.c.send(http.MethodPost, "/v1/operator/keyring", relayParam(relay), KeyringRequest{Key: key}, nil)
}

// KeyringUse makes key, installed already, the key every member encrypts
// with.
func (o *Operator) KeyringUse(key string, relay int) error {
	return o.c.send(http.MethodPut, "/v1/operator/keyring", relayParam(relay), KeyringRequest{Key: key}, nil)
}

// KeyringRemove removes key, which must not be the primary, from every
// member's keyring.
func (o *Operator) KeyringRemove(key string, relay int) error {
	return o.c.send(http.MethodDelete, "/v1/operator/keyring", relayParam(relay), KeyringRequest{Key: key}, nil)
}

// relayParam is ?relay-factor, when not 0.
func relayParam(relay int) url.Values {
	p := url.Values{}
	if relay != 0 {
		p.Set("relay-factor", strconv.Itoa(relay))
	}
	return p
}

// send sends method path with body as JSON (none when nil) and decodes
// the reply into out (ignored when nil).
func (c *Client) send(method, path string, params url.Values, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("api: cannot encode request to %s: %w", path, err)
		}
		r = bytes.NewReader(data)
	}
	req, err := c.newRequest(method, path, params, r)
	if err != nil {
		return err
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: cannot decode reply from %s: %w", path, err)
	}
	return nil
}
