// Package collection holds tests of the collection as shipped: the
// documentation ansible-doc reads for each module (plugins/modules/NAME.py)
// against the module's declared spec, and the collection's layout.
package collection
