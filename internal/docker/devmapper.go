package docker

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	json "github.com/goccy/go-json"
)

// maxThinDeviceIDs bounds the IDs DevicemapperDeviceIDs derives from
// next_device_id; docker's IDs are 24-bit, a damaged file must not make a
// caller try millions.
const maxThinDeviceIDs = 1 << 16

// DevicemapperDeviceIDs lists the thin device IDs that docker's
// devicemapper driver recorded in its metadata directory
// (DATA_ROOT/devicemapper/metadata): the device_id of each device's file
// ("base", one per layer), of transaction-metadata (a device whose
// creation was under way), and every ID below deviceset-metadata's
// next_device_id, which docker hands out in order from 1. A caller that
// must remove what docker made in a pool uses them all: an ID that names
// no device is harmless to try.
func DevicemapperDeviceIDs(metadata fs.FS) ([]uint64, error) {
	entries, err := fs.ReadDir(metadata, ".")
	if err != nil {
		return nil, fmt.Errorf("reading docker's devicemapper metadata: %w", err)
	}
	var ids []uint64
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := fs.ReadFile(metadata, e.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var m struct {
			DeviceID     *uint64 `json:"device_id"`
			NextDeviceID *uint64 `json:"next_device_id"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			errs = append(errs, fmt.Errorf("docker's devicemapper metadata %s: %w", e.Name(), err))
			continue
		}
		if m.DeviceID != nil {
			ids = append(ids, *m.DeviceID)
		}
		if m.NextDeviceID != nil {
			for id := uint64(1); id <= min(*m.NextDeviceID, maxThinDeviceIDs); id++ {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), errors.Join(errs...)
}
