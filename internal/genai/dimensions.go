// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// MaxDimensions bounds the dimensions of an Extractor (Options.Dimensions).
const MaxDimensions = 8

// DimensionSource is where a dimension's value comes from.
type DimensionSource uint8

const (
	// DimensionAttributes reads the dimension's Keys, in order, on the span
	// then on the resource: the first non-empty value wins.
	DimensionAttributes DimensionSource = iota
	// DimensionProvider is the call's normalized Provider.
	DimensionProvider
	// DimensionOperation is the call's Operation.
	DimensionOperation
)

// Dimension is one value Extract reads for every call into
// Call.Dimensions, beside the model and the template.
type Dimension struct {
	Source DimensionSource
	// Keys are the attribute keys of a DimensionAttributes dimension.
	Keys []string
}

// dimKey is a dimension key shorter than minWordKeyLen: such a key is not
// in the key table (it would send every span through scanSlow) but read
// with pcommon.Map.Get, and only when no key of a better priority is on the
// span.
type dimKey struct {
	key  string
	prio uint8
}

// dimensionSetup is the dimension part of an Extractor.
type dimensionSetup struct {
	dims    []Dimension // our copy, at most MaxDimensions
	dimKeys [MaxDimensions][]string
	short   [MaxDimensions][]dimKey
	// resource: every attribute key of a dimension, with its dimension and
	// priority, and the length / middle byte filter of resourceTemplate.
	resKeys       []resourceKey
	resLens       uint64
	resMids       uint64
	attrDimension bool // some dimension reads attributes
}

type resourceKey struct {
	key  string
	dim  uint8
	prio uint8
}

func newDimensionSetup(dims []Dimension) (dimensionSetup, []keyBinding) {
	var d dimensionSetup
	var bindings []keyBinding
	for i, dim := range dims {
		if i == MaxDimensions {
			break
		}
		var keys []string
		for _, k := range dim.Keys {
			if k != "" && len(keys) < 255 {
				keys = append(keys, k)
			}
		}
		dim.Keys = keys
		d.dims = append(d.dims, dim)
		if dim.Source != DimensionAttributes {
			continue
		}
		d.attrDimension = true
		d.dimKeys[i] = keys
		for p, k := range keys {
			if len(k) < minWordKeyLen {
				d.short[i] = append(d.short[i], dimKey{key: k, prio: uint8(p)})
			} else {
				bindings = append(bindings, keyBinding{key: k, slot: slot{field: dimFieldBase + field(i), prio: uint8(p)}})
			}
			d.resKeys = append(d.resKeys, resourceKey{key: k, dim: uint8(i), prio: uint8(p)})
			d.resLens |= 1 << (len(k) & 63)
			d.resMids |= 1 << (k[len(k)>>1] & 63)
		}
	}
	return d, bindings
}

// dimensions fills call.Dimensions: a provider or operation dimension from
// the call, an attribute dimension from the span's attributes, else the
// resource's. A string value is used as is, an integer, double or boolean as
// its string form; any other type (bytes, map, slice) is refused
// (InvalidDimension) and the dimension left empty. An empty value counts as
// absent.
func (e *Extractor) dimensions(fs *foundSet, resource pcommon.Resource, call *Call) {
	var missing uint8 // bit i: dimension i found nothing on the span
	var prios [MaxDimensions]uint8
	for i := range e.dim.dims {
		i &= MaxDimensions - 1
		switch e.dim.dims[i].Source {
		case DimensionProvider:
			call.Dimensions[i] = call.Provider
			continue
		case DimensionOperation:
			call.Dimensions[i] = call.Operation
			continue
		}
		f := dimFieldBase + field(i)
		var v pcommon.Value
		found, prio := false, uint8(255)
		if fs.has(f) {
			v, found, prio = fs.v[f&(maxFields-1)], true, fs.prio[f&(maxFields-1)]
		}
		for _, sk := range e.dim.short[i] {
			if sk.prio >= prio {
				break
			}
			if sv, ok := fs.attrs.Get(sk.key); ok && !isEmpty(sv) {
				v, found = sv, true
				break
			}
		}
		if !found {
			missing |= 1 << i
			prios[i] = uint8(len(e.dim.dimKeys[i]))
			continue
		}
		call.Dimensions[i] = dimensionValue(v, &call.Invalid)
	}
	if missing == 0 {
		return
	}
	// One pass over the resource for the dimensions the span lacks: a key
	// whose length or middle byte no dimension key has is skipped with two
	// compares.
	for k, v := range resource.Attributes().All() {
		if k == "" || e.dim.resLens>>(len(k)&63)&1 == 0 || e.dim.resMids>>(k[len(k)>>1]&63)&1 == 0 {
			continue
		}
		for _, rk := range e.dim.resKeys {
			i := rk.dim & (MaxDimensions - 1)
			if missing>>i&1 == 0 || rk.prio >= prios[i] || rk.key != k || isEmpty(v) {
				continue
			}
			prios[i] = rk.prio
			call.Dimensions[i] = dimensionValue(v, &call.Invalid)
		}
	}
}

// dimensionValue is the dimension value of a non-empty attribute value.
func dimensionValue(v pcommon.Value, invalid *Invalid) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return v.AsString()
	default:
		*invalid |= InvalidDimension
		return ""
	}
}
