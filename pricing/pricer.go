// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package pricing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Settings say where a Pricer's table comes from.
type Settings struct {
	// Defaults includes the shipped default table (lowest precedence).
	Defaults bool
	// File is a user price file (same format as default.yaml); it overrides
	// and extends the defaults and is re-read when it changes.
	File string
	// Inline rows override everything else.
	Inline []Row
	// ReloadInterval is how often File is checked for changes; 0 disables it.
	ReloadInterval time.Duration
}

// Pricer serves the current price table and re-reads the user file when it
// changes. A file that cannot be read or parsed keeps the last good table and
// is logged with the line and field at fault.
type Pricer struct {
	set    Settings
	logger *zap.Logger

	table   atomic.Pointer[Table]
	version atomic.Uint64

	defaults []Row
	last     []byte // content of the last good file

	mu   sync.Mutex // serializes reloads
	stop chan struct{}
	done chan struct{}
}

// NewPricer loads the table. A bad file or row fails here, at start-up.
func NewPricer(set Settings, logger *zap.Logger) (*Pricer, error) {
	p := &Pricer{set: set, logger: logger}
	if set.Defaults {
		p.defaults = DefaultRows()
	}
	var file []Row
	if set.File != "" {
		data, err := os.ReadFile(set.File)
		if err != nil {
			return nil, fmt.Errorf("pricing::file: %w", err)
		}
		if file, err = Parse(data, set.File); err != nil {
			return nil, fmt.Errorf("pricing::file: %w", err)
		}
		p.last = data
	}
	if err := p.install(file); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Pricer) install(file []Row) error {
	t, err := NewTable(p.set.Inline, file, p.defaults)
	if err != nil {
		return err
	}
	p.table.Store(t)
	p.version.Add(1)
	return nil
}

// Table returns the current table.
func (p *Pricer) Table() *Table { return p.table.Load() }

// Version changes every time a new table is installed.
func (p *Pricer) Version() uint64 { return p.version.Load() }

// Start watches the file until Stop. It does nothing without a file or interval.
func (p *Pricer) Start() {
	if p.set.File == "" || p.set.ReloadInterval <= 0 {
		return
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(p.set.ReloadInterval)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.Reload()
			}
		}
	}()
}

// Stop ends the watch started by Start; safe to call without Start.
func (p *Pricer) Stop() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop = nil
}

// Reload re-reads the file now and reports whether a new table was installed.
func (p *Pricer) Reload() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := os.ReadFile(p.set.File)
	if err != nil {
		p.logger.Error("price file not re-read; keeping the last good table", zap.String("file", p.set.File), zap.Error(err))
		return false
	}
	if bytes.Equal(data, p.last) {
		return false
	}
	rows, err := Parse(data, p.set.File)
	if err == nil {
		err = p.install(rows)
	}
	if err != nil {
		p.logger.Error("price file is invalid; keeping the last good table", zap.Error(err))
		p.last = data // log a bad version once, not at every tick
		return false
	}
	p.last = data
	p.logger.Info("price file reloaded", zap.String("file", p.set.File), zap.Int("rows", len(rows)))
	return true
}

// Config is the `pricing` block of the components' configuration. Inline
// rows win over the file, which wins over the shipped default table.
type Config struct {
	// DefaultTable includes the shipped default table (pricing/default.yaml).
	DefaultTable bool `mapstructure:"default_table"`
	// File is a price file in the same format, re-read when it changes.
	File string `mapstructure:"file"`
	// ReloadInterval is how often File is checked for changes (0: never).
	ReloadInterval time.Duration `mapstructure:"reload_interval"`
	// Models are inline price rows.
	Models []Row `mapstructure:"models"`
}

// DefaultConfig is the default `pricing` block.
func DefaultConfig() Config {
	return Config{DefaultTable: true, ReloadInterval: 30 * time.Second}
}

// Check checks the block; messages name the field and the value. It is not
// named Validate on purpose: the block sits inside the components' squashed
// shared block (internal/llmconfig), and the collector would prefix what a
// nested Validate returns with the Go field path ("shared::pricing::...")
// instead of the configuration key. llmconfig.Shared.Check calls it.
func (c Config) Check() error {
	var errs []error
	for i := range c.Models {
		row := c.Models[i] // Validate compiles the copy's regex
		if err := row.Check(); err != nil {
			errs = append(errs, fmt.Errorf("models[%d]: %w", i, err))
		}
	}
	if c.ReloadInterval < 0 {
		errs = append(errs, fmt.Errorf("reload_interval: %v must not be negative", c.ReloadInterval))
	}
	return errors.Join(errs...)
}

// Settings turns the block into Pricer settings.
func (c Config) Settings() Settings {
	return Settings{Defaults: c.DefaultTable, File: c.File, Inline: c.Models, ReloadInterval: c.ReloadInterval}
}
