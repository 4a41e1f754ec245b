package guest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// ResizeDisk grows the data disk SERIAL to size bytes while the guest
// runs, as a cloud volume is resized in place: QEMU's block_resize, after
// which the guest's virtio-blk driver reports the new capacity.
func (vm *VM) ResizeDisk(serial string, size int64) error {
	found := false
	for _, d := range vm.Disks {
		found = found || d.Serial == serial
	}
	if !found {
		return fmt.Errorf("the guest has no disk %q", serial)
	}
	cmd, err := json.Marshal(map[string]any{"execute": "block_resize", "arguments": map[string]any{"device": serial, "size": size}})
	if err != nil {
		return err
	}
	return qmpExecute(vm.QMP, string(cmd))
}

// qmpDial connects to QEMU's monitor socket and leaves it in command
// mode (greeting read, capabilities negotiated), bounded by timeout.
func qmpDial(sock string, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	rd := bufio.NewReader(c)
	if _, err := rd.ReadString('\n'); err != nil { // greeting
		c.Close()
		return nil, nil, err
	}
	if err := qmpCommand(c, rd, `{"execute":"qmp_capabilities"}`); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, rd, nil
}

// qmpExecute sends QMP commands one by one and fails on the first error
// QEMU answers.
func qmpExecute(sock string, cmds ...string) error {
	c, rd, err := qmpDial(sock, 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, cmd := range cmds {
		if err := qmpCommand(c, rd, cmd); err != nil {
			return err
		}
	}
	return nil
}

// qmpCommand sends one command and reads until its answer, skipping
// events.
func qmpCommand(c net.Conn, rd *bufio.Reader, cmd string) error {
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		return err
	}
	for {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("QMP %s: %w", cmd, err)
		}
		var answer struct {
			Return *json.RawMessage `json:"return"`
			Error  *struct {
				Desc string `json:"desc"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &answer) != nil {
			continue
		}
		if answer.Error != nil {
			return fmt.Errorf("QMP %s: %s", cmd, answer.Error.Desc)
		}
		if answer.Return != nil {
			return nil
		}
	}
}
