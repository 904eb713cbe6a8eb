package state

// queryTables are the object tables of this feature.
func queryTables() []objectTable { return nil }
