package docker

import (
	"slices"
	"testing"
	"testing/fstest"
)

func TestTheThinDevicesDockerRecordedAreListedFromItsMetadata(t *testing.T) {
	// What a first start on an empty pool leaves, plus a layer being
	// created when docker stopped.
	meta := fstest.MapFS{
		"base":                 {Data: []byte(`{"device_id":1,"size":10737418240,"transaction_id":1,"initialized":true,"deleted":false}`)},
		"deviceset-metadata":   {Data: []byte(`{"next_device_id":2,"BaseDeviceUUID":"3f1c","BaseDeviceFilesystem":"xfs"}`)},
		"transaction-metadata": {Data: []byte(`{"open_transaction_id":3,"device_hash":"0f1e","device_id":5}`)},
	}
	ids, err := DevicemapperDeviceIDs(meta)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 5}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
}

func TestADamagedMetadataFileIsReportedAndTheOthersStillCount(t *testing.T) {
	meta := fstest.MapFS{
		"base":               {Data: []byte(`{"device_id":1}`)},
		"deviceset-metadata": {Data: []byte(`{"next_device_id":`)},
	}
	ids, err := DevicemapperDeviceIDs(meta)
	if err == nil || !slices.Equal(ids, []uint64{1}) {
		t.Errorf("ids %v, err %v; want [1] and an error naming deviceset-metadata", ids, err)
	}
}
