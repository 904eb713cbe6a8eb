package call

import "github.com/concordhq/concord/api"

// Config entries (/v1/config). Access rules are Consul's: a
// service-defaults entry is read with service:read on its name and
// written with service:write; the proxy-defaults entry is written with
// operator:write (Consul also takes mesh:write, a rule kind Concord does
// not have) and read by anyone. A list is filtered entry by entry.

type (
	// ConfigApplyArgs set Entry; with CAS only if the stored entry's
	// ModifyIndex is Index (0: only if there is none).
	ConfigApplyArgs struct {
		Entry *api.ConfigEntry
		CAS   bool
		Index uint64
	}
	// ConfigDeleteArgs delete the entry of Kind named Name; with CAS
	// only if its ModifyIndex is Index.
	ConfigDeleteArgs struct {
		Kind, Name string
		CAS        bool
		Index      uint64
	}
	ConfigGetArgs struct {
		Query
		Kind, Name string
	}
	ConfigListArgs struct {
		Query
		Kind string
	}
)

var (
	// ConfigApply's result says whether the entry was stored.
	ConfigApply = declare[ConfigApplyArgs, bool]("ConfigApply", Write,
		func(a *ConfigApplyArgs) []Resource {
			if a.Entry == nil {
				return configWrite("", "")
			}
			return configWrite(a.Entry.Kind(), a.Entry.Name())
		})
	// ConfigDelete's result says whether the entry was deleted.
	ConfigDelete = declare[ConfigDeleteArgs, bool]("ConfigDelete", Write,
		func(a *ConfigDeleteArgs) []Resource { return configWrite(a.Kind, a.Name) })
	// ConfigGet is refused, not hidden, to a token that may not read the
	// entry, as in Consul.
	ConfigGet = declare[ConfigGetArgs, Result[*api.ConfigEntry]]("ConfigGet", Read,
		func(a *ConfigGetArgs) []Resource {
			if a.Kind != api.ServiceDefaults {
				return openRead()
			}
			return []Resource{{Kind: service, Name: a.Name, Access: read, Exact: true}}
		})
	// ConfigList's result is filtered by each entry's read rule.
	ConfigList = declare[ConfigListArgs, Result[[]*api.ConfigEntry]]("ConfigList", Read,
		func(a *ConfigListArgs) []Resource {
			if a.Kind != api.ServiceDefaults {
				return openRead()
			}
			return one(service, "", read)
		})
)

// openRead is the resource of a read anyone may make: proxy-defaults is
// public, as the cluster's status is, and the other kinds are refused by
// the call itself, whatever the token.
func openRead() []Resource { return one(status, "", read) }

// configWrite is what writing the entry of kind named name takes.
func configWrite(kind, name string) []Resource {
	if kind == api.ServiceDefaults {
		return one(service, name, write)
	}
	return one(operator, "", write)
}
