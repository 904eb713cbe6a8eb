package state

// aclTables are the object tables of this feature.
func aclTables() []objectTable { return nil }
