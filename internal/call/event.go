package call

import "github.com/concordhq/concord/api"

// EventFireArgs is a user event to fire.
type EventFireArgs struct{ Event *api.UserEvent }

// EventFire fires a user event into the answering server's LAN pool. An
// agent fires the events of its own datacenter itself; this call is how
// an event fired with ?dc reaches another datacenter (see WithDatacenter).
var EventFire = declare[EventFireArgs, *api.UserEvent]("EventFire", Local,
	func(a *EventFireArgs) []Resource {
		if a.Event == nil {
			return one("event", "", write)
		}
		return one("event", a.Event.Name, write)
	})
