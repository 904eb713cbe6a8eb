package state

// coordinateTables are the object tables of this feature.
func coordinateTables() []objectTable { return nil }
