package dockerstorage

// Carrying the user's work across a switch of storage: the images are
// exported through the Engine API before docker stops and loaded into the
// new storage once it runs; the volumes directory (driver-independent) is
// renamed into the new data root, never copied. Containers are not carried.
//
// What is in transit waits in one directory beside the data root,
// DATAROOT.directlvm-carry:
//
//	images.tar   the export, complete (written as images.tar.partial, then renamed)
//	images.json  what the export holds (carryManifest)
//	volumes/     the volumes between the old data root and the new one
//
// A run cut anywhere leaves it there, and the next run finishes from it:
// an existing export is reused, never overwritten (after a power cut the
// docker that came back may hold no images at all), volumes in transit go
// into the new data root, and the export is loaded once docker runs on
// the requested storage. The directory is removed once the images are in.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/directlvm/docker/internal/atomicfile"
	"github.com/directlvm/docker/internal/docker"
	"github.com/directlvm/docker/internal/module"
	"github.com/directlvm/docker/internal/runner"
)

// The files of the carry directory.
const (
	carryImages   = "images.tar"
	carryManifest = "images.json"
	carryVolumes  = "volumes"
	partialSuffix = ".partial"
)

// carryTimeout bounds an export or a load: as long as the images are large.
const carryTimeout = time.Hour

// carryRoomMargin is what must stay free beside the export.
const carryRoomMargin = 64 << 20

// carryDir is where a switch keeps what it carries.
func carryDir(dataRoot string) string { return filepath.Clean(dataRoot) + ".directlvm-carry" }

// CarryReport is what a run carried across the switch, or would in check
// mode: the `carried` key of the result.
type CarryReport struct {
	// Images are the tags carried, Bytes the size of their export, and
	// Seconds the time the export and the load took.
	Images  []string `json:"images"`
	Bytes   int64    `json:"bytes"`
	Seconds float64  `json:"seconds"`
	// Volumes are the volume directories moved into the new data root.
	Volumes []string `json:"volumes"`
	// NotCarried says what stays behind, and how to get it back.
	NotCarried []string `json:"not_carried"`
	// Pending is the carry directory while it still holds work: the next
	// run finishes it.
	Pending string `json:"pending"`
}

// manifest is images.json: what the export holds.
type manifest struct {
	Tags          []string `json:"tags"`
	Bytes         int64    `json:"bytes"`
	ExportSeconds float64  `json:"export_seconds"`
	Untagged      int      `json:"untagged"`
	Containers    int      `json:"containers"`
}

// carryState is what the carry directory holds now.
type carryState struct {
	Dir string
	// Export is set when a complete export waits in Dir, described by
	// Manifest.
	Export   bool
	Manifest manifest
	// Volumes is set when volumes wait in Dir/volumes.
	Volumes bool
}

// pending says whether an earlier run left work in the carry directory.
func (s carryState) pending() bool { return s.Export || s.Volumes }

func observeCarry(dataRoot string) (carryState, error) {
	s := carryState{Dir: carryDir(dataRoot)}
	data, err := os.ReadFile(filepath.Join(s.Dir, carryManifest))
	switch {
	case err == nil:
		if exists(filepath.Join(s.Dir, carryImages)) {
			if err := json.Unmarshal(data, &s.Manifest); err != nil {
				return s, fmt.Errorf("reading %s: %w; it describes %s: load that file by hand (docker load -i), then remove %s", filepath.Join(s.Dir, carryManifest), err, filepath.Join(s.Dir, carryImages), s.Dir)
			}
			s.Export = true
		}
	case !errors.Is(err, fs.ErrNotExist):
		return s, fmt.Errorf("reading %s: %w", filepath.Join(s.Dir, carryManifest), err)
	}
	s.Volumes = exists(filepath.Join(s.Dir, carryVolumes))
	return s, nil
}

// volumeNames lists the volume directories in dir (a volumes/ directory):
// everything but docker's metadata.db.
func volumeNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// freeBytes is the room root has on dir's filesystem.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("reading the free space of %s: %w", dir, err)
	}
	return int64(st.Bfree) * st.Bsize, nil
}

// carryPlan is what a switch carries, decided while planning.
type carryPlan struct {
	dir string
	// export: the images to export (tags), and the untagged ones left.
	export   bool
	tags     []string
	untagged int
	// stage moves DATAROOT/volumes into the carry directory; place moves
	// it into the new data root.
	stage, place bool
	volumes      []string
	// load loads the export once docker runs on the new storage.
	load bool
	// skipped says why nothing is carried; notCarried what stays behind.
	skipped    string
	notCarried []string
}

// planCarry decides what a switch that moves the data root aside carries.
func (j *job) planCarry() {
	c, obs := j.c, j.obs
	cp := &carryPlan{dir: obs.Carry.Dir}
	j.carry = cp
	pending := obs.Carry.pending()
	if !c.CarryImages && !pending {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("carry_images=false: the images, containers and volumes stay in the old data root %s", j.dataRootBackup))
		return
	}
	if obs.Carry.Export {
		cp.load, cp.tags = true, obs.Carry.Manifest.Tags
		cp.untagged = obs.Carry.Manifest.Untagged
	} else if obs.Running {
		cp.tags, cp.untagged = imageTags(obs.Images)
		if len(cp.tags) > 0 {
			need := exportRoom(obs.Images)
			if obs.CarryRoom < need {
				cp.skipped = fmt.Sprintf("carry_images: exporting %d image(s) needs about %s in %s, which has %s free: nothing was carried; the images, containers and volumes stay in the old data root %s (free space there and switch again, or docker save/load them by hand from a docker started on it)",
					len(cp.tags), humanBytes(need), filepath.Dir(cp.dir), humanBytes(obs.CarryRoom), j.dataRootBackup)
				cp.tags = nil
				j.plan.Warnings = append(j.plan.Warnings, cp.skipped)
				cp.notCarried = append(cp.notCarried, cp.skipped)
				return
			}
			cp.export, cp.load = true, true
		}
	} else if !pending {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("docker was not running, so its images could not be exported: they stay in the old data root %s", j.dataRootBackup))
	}
	if cp.untagged > 0 {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("%d untagged image(s) (only tagged images are carried): they stay in %s", cp.untagged, j.dataRootBackup))
	}
	containers := obs.Carry.Manifest.Containers
	if obs.Info != nil && !obs.Carry.Export {
		containers = obs.Info.Containers
	}
	if containers > 0 {
		cp.notCarried = append(cp.notCarried, fmt.Sprintf("%d container(s): containers are not carried; recreate them from the carried images and volumes (docker run ..., docker compose up -d); their configuration stays in %s/containers", containers, j.dataRootBackup))
	}
	if obs.Carry.Volumes {
		cp.place, cp.volumes = true, volumeNames(filepath.Join(cp.dir, carryVolumes))
	} else if names := volumeNames(filepath.Join(obs.DataRoot, carryVolumes)); len(names) > 0 {
		cp.stage, cp.place, cp.volumes = true, true, names
	}
}

// planPendingCarry finishes, without a switch, what an earlier run left in
// the carry directory: volumes to place before docker starts (place) and
// an export to load once it runs.
func (j *job) planPendingCarry() {
	s := j.obs.Carry
	if !s.pending() {
		return
	}
	j.carry = &carryPlan{dir: s.Dir, load: s.Export, tags: s.Manifest.Tags, untagged: s.Manifest.Untagged,
		place: s.Volumes, volumes: volumeNames(filepath.Join(s.Dir, carryVolumes))}
}

func imageTags(images []docker.Image) (tags []string, untagged int) {
	for _, im := range images {
		t := im.Tags()
		if len(t) == 0 {
			untagged++
		}
		tags = append(tags, t...)
	}
	sort.Strings(tags)
	return tags, untagged
}

// imagesSize is the tagged images' size, shared layers counted once per
// image: more than the export, never less.
func imagesSize(images []docker.Image) int64 {
	var n int64
	for _, im := range images {
		if len(im.Tags()) > 0 {
			n += im.Size
		}
	}
	return n
}

// exportRoom is the room an export of the tagged images needs beside the
// data root: their size, a tenth more, and a margin.
func exportRoom(images []docker.Image) int64 {
	n := imagesSize(images)
	return n + n/10 + carryRoomMargin
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// addExport, addStage, addPlace and addLoad append the carry's steps when
// the plan has them.

func (j *job) addExport() {
	if cp := j.carry; cp != nil && cp.export {
		j.add(stepExportImages, "", "", "export %d image(s) (%s) to %s through the Engine API", len(cp.tags), strings.Join(cp.tags, ", "), filepath.Join(cp.dir, carryImages))
	}
}

func (j *job) addStage() {
	if cp := j.carry; cp != nil && cp.stage {
		j.add(stepStageVolumes, filepath.Join(j.obs.DataRoot, carryVolumes), filepath.Join(cp.dir, carryVolumes), "move the volumes (%s) out of the data root to %s", strings.Join(cp.volumes, ", "), filepath.Join(cp.dir, carryVolumes))
	}
}

func (j *job) addPlace() {
	if cp := j.carry; cp != nil && cp.place {
		j.add(stepPlaceVolumes, filepath.Join(cp.dir, carryVolumes), filepath.Join(j.obs.DataRoot, carryVolumes), "move the volumes (%s) into the new data root %s", strings.Join(cp.volumes, ", "), j.obs.DataRoot)
	}
}

func (j *job) addLoad() {
	if cp := j.carry; cp != nil && cp.load {
		j.add(stepLoadImages, filepath.Join(cp.dir, carryImages), "", "load %d image(s) (%s) from %s through the Engine API, then remove %s", len(cp.tags), strings.Join(cp.tags, ", "), filepath.Join(cp.dir, carryImages), cp.dir)
	}
}

// carryStep fills in what the carry's step s of kind k does and undoes.
func (j *job) carryStep(k stepKind, s *module.Step, path, to string) {
	switch k {
	case stepExportImages:
		s.Do = j.exportImages
		s.Undo = &module.Undo{Done: "removed the export " + filepath.Join(j.carry.dir, carryImages), Do: func(context.Context) error { return j.dropExport() }}
	case stepStageVolumes, stepPlaceVolumes:
		s.Do = func(ctx context.Context) error {
			if err := j.moveVolumes(ctx, path, to); err != nil {
				return err
			}
			j.out.volumesPlaced = k == stepPlaceVolumes
			return nil
		}
		s.Undo = &module.Undo{Done: "moved the volumes back to " + path, Do: func(ctx context.Context) error {
			if err := j.moveVolumes(ctx, to, path); err != nil {
				return err
			}
			j.out.volumesPlaced = false
			return nil
		}}
	case stepLoadImages:
		s.Do = j.loadImages
	}
}

// exportImages writes the export to images.tar.partial, then its
// manifest, then renames it complete: a cut export is never taken for one.
func (j *job) exportImages(ctx context.Context) error {
	cp := j.carry
	if err := os.MkdirAll(cp.dir, 0o700); err != nil {
		return err
	}
	final := filepath.Join(cp.dir, carryImages)
	partial := final + partialSuffix
	began := time.Now()
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, carryTimeout)
	defer cancel()
	n, err := j.h.Engine.ExportImages(ctx, cp.tags, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(partial)
		_ = removeIfEmpty(cp.dir)
		return fmt.Errorf("exporting the images to %s: %w", partial, err)
	}
	m := manifest{Tags: cp.tags, Bytes: n, ExportSeconds: time.Since(began).Seconds(), Untagged: cp.untagged}
	if j.obs.Info != nil {
		m.Containers = j.obs.Info.Containers
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.Write(filepath.Join(cp.dir, carryManifest), append(data, '\n'), 0o600); err != nil {
		return err
	}
	if err := atomicfile.Rename(partial, final); err != nil {
		return err
	}
	j.out.carry.Bytes, j.out.carry.Seconds = n, m.ExportSeconds
	return nil
}

// dropExport removes an export the switch no longer needs (it rolled
// back: the images are where they were), and the carry directory once
// empty.
func (j *job) dropExport() error {
	dir := j.carry.dir
	for _, name := range []string{carryImages, carryManifest} {
		if err := atomicfile.Remove(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	j.out.carry = CarryReport{}
	return removeIfEmpty(dir)
}

// moveVolumes renames a volumes directory (metadata.db and one directory
// per volume) durably; the parent of to is made when missing, as docker
// makes its data root. Across filesystems (a data root on a volume of its
// own, data_root_device) it copies instead (copyVolumes).
func (j *job) moveVolumes(ctx context.Context, from, to string) error {
	if exists(to) {
		if copiedFrom(to) == from {
			// A copy that was complete when the run was cut: only the
			// source is left to remove.
			return finishCopy(from, to)
		}
		// Only an empty one (a docker started on the new data root in
		// between) may be replaced; volumes are never merged.
		if names := volumeNames(to); len(names) > 0 {
			return fmt.Errorf("%s holds volumes already (%s): the volumes in %s were not moved there; move them by hand", to, strings.Join(names, ", "), from)
		}
		if err := os.RemoveAll(to); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o711); err != nil {
		return err
	}
	err := atomicfile.Rename(from, to)
	if errors.Is(err, syscall.EXDEV) {
		return j.copyVolumes(ctx, from, to)
	}
	if err != nil {
		return err
	}
	return removeIfEmpty(filepath.Dir(from))
}

// copiedMarker, inside a copied volumes directory, names where it was
// copied from until that source is removed.
const copiedMarker = ".directlvm-copied-from"

func copiedFrom(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, copiedMarker))
	if err != nil {
		return ""
	}
	return string(b)
}

// copyVolumes copies from to another filesystem with everything a volume
// holds (owners, modes, times, links, extended attributes: cp -a) into a
// partial directory, marks it, syncs it, and renames it complete; then
// removes the source. A run cut before the rename starts the copy over; cut
// after it, the next run finds the mark and only removes the source.
func (j *job) copyVolumes(ctx context.Context, from, to string) error {
	partial := to + ".directlvm-partial"
	if err := os.RemoveAll(partial); err != nil {
		return err
	}
	if _, err := j.h.Run.Run(ctx, runner.Cmd{Argv: []string{"cp", "-a", "--no-target-directory", from, partial}, Timeout: 6 * time.Hour}); err != nil {
		return fmt.Errorf("copying the volumes to the data root's filesystem: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(partial, copiedMarker), []byte(from), 0o600); err != nil {
		return err
	}
	if _, err := j.h.Run.Run(ctx, runner.Command("sync", "--file-system", partial)); err != nil {
		return err
	}
	if err := atomicfile.Rename(partial, to); err != nil {
		return err
	}
	return finishCopy(from, to)
}

// finishCopy removes the copied source, then the mark.
func finishCopy(from, to string) error {
	if err := os.RemoveAll(from); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(filepath.Dir(from)); err != nil {
		return err
	}
	if err := atomicfile.Remove(filepath.Join(to, copiedMarker)); err != nil {
		return err
	}
	return removeIfEmpty(filepath.Dir(from))
}

// removeIfEmpty removes the carry directory once nothing waits in it.
func removeIfEmpty(dir string) error {
	if !strings.HasSuffix(dir, ".directlvm-carry") {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) > 0 {
		return nil
	} else if err != nil {
		return err
	}
	return atomicfile.Remove(dir)
}

// loadImages streams the export into the engine, checks that every tag
// it held is there, and only then removes the export.
func (j *job) loadImages(ctx context.Context) error {
	cp := j.carry
	path := filepath.Join(cp.dir, carryImages)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, carryTimeout)
	defer cancel()
	if _, err := j.h.Engine.LoadImages(ctx, f); err != nil {
		return fmt.Errorf("loading the images from %s: %w; the export stays there: free room in the pool and run again, or load it by hand (docker load -i %s)", path, err, path)
	}
	images, err := j.h.Engine.Images(ctx)
	if err != nil {
		return err
	}
	have, _ := imageTags(images)
	var missing []string
	for _, t := range cp.tags {
		if !slices.Contains(have, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("after loading %s, docker lacks %s; the export stays there: load it by hand (docker load -i %s)", path, strings.Join(missing, ", "), path)
	}
	r := &j.out.carry
	r.Images, r.Bytes = cp.tags, fi.Size()
	if r.Seconds == 0 {
		r.Seconds = j.obs.Carry.Manifest.ExportSeconds
	}
	r.Seconds += time.Since(began).Seconds()
	f.Close()
	// dockerd wrote the images through the page cache: a power cut now
	// would lose them (the overlay2 journey's fault matrix lost tiny:1's
	// layers so, after the export was gone). They are made durable before
	// the export, their only other copy, is removed.
	syscall.Sync()
	for _, name := range []string{carryImages, carryManifest} {
		if err := atomicfile.Remove(filepath.Join(cp.dir, name)); err != nil {
			return err
		}
	}
	return removeIfEmpty(cp.dir)
}

// carryReport is what the run carried (done) or plans to carry.
func (j *job) carryReport(done bool) CarryReport {
	r := CarryReport{Images: []string{}, Volumes: []string{}, NotCarried: []string{}}
	cp := j.carry
	if cp == nil {
		return r
	}
	r.NotCarried = append(r.NotCarried, cp.notCarried...)
	if done {
		r.Images = append(r.Images, j.out.carry.Images...)
		r.Bytes, r.Seconds = j.out.carry.Bytes, j.out.carry.Seconds
		if j.out.volumesPlaced {
			r.Volumes = append(r.Volumes, cp.volumes...)
		}
	} else {
		r.Images = append(r.Images, cp.tags...)
		r.Volumes = append(r.Volumes, cp.volumes...)
	}
	if exists(cp.dir) {
		r.Pending = cp.dir
	}
	return r
}

// summary says in a few words what was carried and what was not.
func (r CarryReport) summary() string {
	var parts []string
	if len(r.Images) > 0 {
		parts = append(parts, fmt.Sprintf("carried %d image(s) (%s in %.1f s)", len(r.Images), humanBytes(r.Bytes), r.Seconds))
	}
	if len(r.Volumes) > 0 {
		parts = append(parts, fmt.Sprintf("moved %d volume(s) into the new data root", len(r.Volumes)))
	}
	parts = append(parts, r.NotCarried...)
	if r.Pending != "" {
		parts = append(parts, fmt.Sprintf("%s still holds what was not carried yet: the next run finishes it", r.Pending))
	}
	return strings.Join(parts, "; ")
}
