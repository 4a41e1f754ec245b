package ansible

// BuildProbe lets the conformance test (package ansible_test, which uses
// ansibletest and so cannot be in package ansible) build the probe module.
var BuildProbe = buildProbe
