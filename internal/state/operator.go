package state

// operatorTables are the object tables of this feature.
func operatorTables() []objectTable { return nil }
