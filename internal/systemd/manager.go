package systemd

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-systemd/v22/dbus"
)

// bus is the part of *dbus.Conn the Manager uses; tests replace it.
type bus interface {
	GetUnitPropertiesContext(ctx context.Context, unit string) (map[string]any, error)
	GetUnitTypePropertiesContext(ctx context.Context, unit, unitType string) (map[string]any, error)
	EnableUnitFilesContext(ctx context.Context, files []string, runtime, force bool) (bool, []dbus.EnableUnitFileChange, error)
	ReloadContext(ctx context.Context) error
	ResetFailedUnitContext(ctx context.Context, name string) error
	StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	RestartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	Close()
}

var _ bus = (*dbus.Conn)(nil)

// Manager is a connection to the system manager (PID 1).
type Manager struct {
	conn bus
}

// defaultSystemBus is where the system bus listens unless
// DBUS_SYSTEM_BUS_ADDRESS says otherwise.
const defaultSystemBus = "/run/dbus/system_bus_socket"

// privateSocket is systemd's own socket, which root may use when no bus
// daemon runs.
const privateSocket = "/run/systemd/private"

// Connect opens a connection to systemd over the system bus (as root, over
// systemd's private socket when the bus is down). The connection closes
// when ctx ends or Close is called.
func Connect(ctx context.Context) (*Manager, error) {
	conn, err := dbus.NewWithContext(ctx)
	if err != nil {
		return nil, connectError(os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"), os.Geteuid() == 0, err)
	}
	return &Manager{conn: conn}, nil
}

// ConnectAs is Connect giving the manager as I, the part of it a module
// declares it uses (each module checks at compile time that *Manager is
// one).
func ConnectAs[I any](ctx context.Context) (I, error) {
	var none I
	m, err := Connect(ctx)
	if err != nil {
		return none, err
	}
	i, ok := any(m).(I)
	if !ok {
		m.Close()
		return none, fmt.Errorf("systemd: the manager is not a %T", &none)
	}
	return i, nil
}

// connectError says which sockets were tried and what the module needs.
func connectError(busAddress string, root bool, err error) error {
	where := defaultSystemBus
	if busAddress != "" {
		where = strings.TrimPrefix(busAddress, "unix:path=")
	}
	if root {
		where += ", then " + privateSocket
	}
	return fmt.Errorf("cannot reach systemd over D-Bus (%s): %w; this module needs a host running systemd: check that systemd is PID 1 and dbus.service is active (systemctl status dbus), and that DBUS_SYSTEM_BUS_ADDRESS, if set, points at the system bus", where, err)
}

// Close closes the connection.
func (m *Manager) Close() { m.conn.Close() }

// Unit reads a unit's state. A unit systemd does not know is not an error:
// its LoadState is "not-found". The command line and environment are read
// for services only.
func (m *Manager) Unit(ctx context.Context, name string) (UnitState, error) {
	unit, err := m.conn.GetUnitPropertiesContext(ctx, name)
	if err != nil {
		return UnitState{}, fmt.Errorf("systemd: reading the state of %s: %w", name, err)
	}
	var service map[string]any
	if strings.HasSuffix(name, ".service") && unit["LoadState"] == "loaded" {
		if service, err = m.conn.GetUnitTypePropertiesContext(ctx, name, "Service"); err != nil {
			return UnitState{}, fmt.Errorf("systemd: reading the service properties of %s: %w", name, err)
		}
	}
	return unitState(name, unit, service)
}

// Enable enables unit files persistently (like systemctl enable: symlinks
// under /etc) and reloads systemd when that changed anything. It reports
// whether something changed.
func (m *Manager) Enable(ctx context.Context, names ...string) (changed bool, err error) {
	if len(names) == 0 {
		return false, nil
	}
	_, changes, err := m.conn.EnableUnitFilesContext(ctx, names, false, false)
	if err != nil {
		return false, fmt.Errorf("systemd: enabling %s: %w", strings.Join(names, ", "), err)
	}
	if len(changes) == 0 {
		return false, nil
	}
	if err := m.conn.ReloadContext(ctx); err != nil {
		return true, fmt.Errorf("systemd: reloading after enabling %s: %w", strings.Join(names, ", "), err)
	}
	return true, nil
}

// ResetFailed clears the failed state and start-limit counter of units, so
// that a unit that failed repeatedly may be started again.
func (m *Manager) ResetFailed(ctx context.Context, names ...string) error {
	for _, n := range names {
		if err := m.conn.ResetFailedUnitContext(ctx, n); err != nil {
			return fmt.Errorf("systemd: reset-failed %s: %w", n, err)
		}
	}
	return nil
}

// DaemonReload makes systemd re-read every unit file (systemctl
// daemon-reload). The modules never need it; the guest tests do, after
// they write a drop-in.
func (m *Manager) DaemonReload(ctx context.Context) error {
	if err := m.conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("systemd: daemon-reload: %w", err)
	}
	return nil
}
