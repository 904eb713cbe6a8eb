package server

import (
	"context"

	"github.com/concordhq/concord/api"
	"github.com/concordhq/concord/internal/call"
)

// aclImpls answer the acl calls.
func (s *Server) aclImpls() []call.Impl {
	return []call.Impl{
		call.Implement(call.ACLBootstrap, func(ctx context.Context, a *call.ACLBootstrapArgs) (*api.ACLToken, error) {
			return s.ACLBootstrap(ctx, a.Secret)
		}),
		call.Implement(call.ACLTokenSet, func(ctx context.Context, a *call.ACLTokenSetArgs) (*api.ACLToken, error) {
			return s.ACLTokenSet(ctx, a.Token, a.Create)
		}),
		call.Implement(call.ACLTokenDelete, func(ctx context.Context, a *call.ACLTokenIDArgs) (struct{}, error) {
			return struct{}{}, s.ACLTokenDelete(ctx, a.AccessorID)
		}),
		call.Implement(call.ACLTokenClone, func(ctx context.Context, a *call.ACLTokenCloneArgs) (*api.ACLToken, error) {
			return s.ACLTokenClone(ctx, a.AccessorID, a.Description)
		}),
		read(call.ACLTokenRead, func(ctx context.Context, a *call.ACLTokenReadArgs) (*api.ACLToken, api.QueryMeta, error) {
			return s.ACLTokenRead(ctx, a.Options(), a.AccessorID)
		}),
		read(call.ACLTokenReadExpanded, func(ctx context.Context, a *call.ACLTokenReadArgs) (*api.ACLTokenExpanded, api.QueryMeta, error) {
			return s.ACLTokenReadExpanded(ctx, a.Options(), a.AccessorID)
		}),
		read(call.ACLTokenSelf, func(ctx context.Context, a *call.ACLTokenSelfArgs) (*api.ACLToken, api.QueryMeta, error) {
			return s.ACLTokenSelf(ctx, a.Options())
		}),
		read(call.ACLTokenList, func(ctx context.Context, a *call.ACLTokenListArgs) ([]*api.ACLTokenListEntry, api.QueryMeta, error) {
			return s.ACLTokenList(ctx, a.Options(), TokenFilter{Policy: a.Policy, Role: a.Role, ServiceName: a.ServiceName, AuthMethod: a.AuthMethod})
		}),

		call.Implement(call.ACLPolicySet, func(ctx context.Context, a *call.ACLPolicySetArgs) (*api.ACLPolicy, error) {
			return s.ACLPolicySet(ctx, a.Policy, a.Create)
		}),
		call.Implement(call.ACLPolicyDelete, func(ctx context.Context, a *call.ACLIDArgs) (struct{}, error) {
			return struct{}{}, s.ACLPolicyDelete(ctx, a.ID)
		}),
		read(call.ACLPolicyRead, func(ctx context.Context, a *call.ACLObjectArgs) (*api.ACLPolicy, api.QueryMeta, error) {
			return s.ACLPolicyRead(ctx, a.Options(), a.ID, a.Name)
		}),
		read(call.ACLPolicyList, func(ctx context.Context, a *call.ACLListArgs) ([]*api.ACLPolicyListEntry, api.QueryMeta, error) {
			return s.ACLPolicyList(ctx, a.Options())
		}),

		call.Implement(call.ACLRoleSet, func(ctx context.Context, a *call.ACLRoleSetArgs) (*api.ACLRole, error) {
			return s.ACLRoleSet(ctx, a.Role, a.Create)
		}),
		call.Implement(call.ACLRoleDelete, func(ctx context.Context, a *call.ACLIDArgs) (struct{}, error) {
			return struct{}{}, s.ACLRoleDelete(ctx, a.ID)
		}),
		read(call.ACLRoleRead, func(ctx context.Context, a *call.ACLObjectArgs) (*api.ACLRole, api.QueryMeta, error) {
			return s.ACLRoleRead(ctx, a.Options(), a.ID, a.Name)
		}),
		read(call.ACLReplication, func(ctx context.Context, a *call.ACLListArgs) (*api.ACLReplicationStatus, api.QueryMeta, error) {
			return s.ACLReplication()
		}),
		read(call.ACLReplicate, func(ctx context.Context, a *call.ACLListArgs) (*call.ACLReplicaSet, api.QueryMeta, error) {
			return s.ACLReplicate(ctx, a.Options())
		}),
		read(call.ACLRoleList, func(ctx context.Context, a *call.ACLListArgs) ([]*api.ACLRole, api.QueryMeta, error) {
			return s.ACLRoleList(ctx, a.Options())
		}),

		call.Implement(call.ACLAuthMethodSet, func(ctx context.Context, a *call.ACLAuthMethodSetArgs) (*api.ACLAuthMethod, error) {
			return s.ACLAuthMethodSet(ctx, a.Method)
		}),
		call.Implement(call.ACLAuthMethodDelete, func(ctx context.Context, a *call.ACLAuthMethodArgs) (struct{}, error) {
			return struct{}{}, s.ACLAuthMethodDelete(ctx, a.Name)
		}),
		read(call.ACLAuthMethodRead, func(ctx context.Context, a *call.ACLAuthMethodArgs) (*api.ACLAuthMethod, api.QueryMeta, error) {
			return s.ACLAuthMethodRead(ctx, a.Options(), a.Name)
		}),
		read(call.ACLAuthMethodList, func(ctx context.Context, a *call.ACLListArgs) ([]*api.ACLAuthMethodListEntry, api.QueryMeta, error) {
			return s.ACLAuthMethodList(ctx, a.Options())
		}),
		call.Implement(call.ACLBindingRuleSet, func(ctx context.Context, a *call.ACLBindingRuleSetArgs) (*api.ACLBindingRule, error) {
			return s.ACLBindingRuleSet(ctx, a.Rule, a.Create)
		}),
		call.Implement(call.ACLBindingRuleDelete, func(ctx context.Context, a *call.ACLBindingRuleArgs) (struct{}, error) {
			return struct{}{}, s.ACLBindingRuleDelete(ctx, a.ID)
		}),
		read(call.ACLBindingRuleRead, func(ctx context.Context, a *call.ACLBindingRuleArgs) (*api.ACLBindingRule, api.QueryMeta, error) {
			return s.ACLBindingRuleRead(ctx, a.Options(), a.ID)
		}),
		read(call.ACLBindingRuleList, func(ctx context.Context, a *call.ACLBindingRuleListArgs) ([]*api.ACLBindingRule, api.QueryMeta, error) {
			return s.ACLBindingRuleList(ctx, a.Options(), a.AuthMethod)
		}),
		call.Implement(call.ACLLogin, func(ctx context.Context, a *call.ACLLoginArgs) (*api.ACLToken, error) {
			return s.ACLLogin(ctx, a.Params)
		}),
		call.Implement(call.ACLLogout, func(ctx context.Context, a *call.ACLLogoutArgs) (struct{}, error) {
			return struct{}{}, s.ACLLogout(ctx)
		}),
	}
}
