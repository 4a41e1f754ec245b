// Command procacct turns Linux process accounting on and off and prints
// the records as JSON lines; the benchmark runs it inside the guest.
//
//	procacct on FILE     account every exiting process to FILE (truncated)
//	procacct off
//	procacct dump FILE   one JSON object per record
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"github.com/directlvm/docker/tools/procacct"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "procacct:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "on":
		f, err := os.OpenFile(args[1], os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		f.Close()
		return syscall.Acct(args[1])
	case len(args) == 1 && args[0] == "off":
		// acct(NULL) stops accounting.
		if _, _, errno := syscall.Syscall(syscall.SYS_ACCT, uintptr(unsafe.Pointer(nil)), 0, 0); errno != 0 {
			return errno
		}
		return nil
	case len(args) == 2 && args[0] == "dump":
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		records, err := procacct.Parse(f)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		for _, r := range records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("usage: procacct on FILE | off | dump FILE")
}
