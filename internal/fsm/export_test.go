package fsm

// Unexported decoders and limits, for tests in package fsm_test.
var (
	DecodeKV  = decodeKV
	DecodeTxn = decodeTxn
)

const MaxRecordSize = maxRecordSize
