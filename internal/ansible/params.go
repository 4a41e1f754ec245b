package ansible

// Params holds a module's option values after coercion, with defaults
// filled in. A module reads them once, into its own struct, with Decode.
// ExecuteContext fills a Request's Params; module tests get one from NewRequest.
type Params struct {
	options map[string]*compiledOption
	values  map[string]any  // normalized values; absent or nil when unset
	given   map[string]bool // set by the user to something other than null
}
