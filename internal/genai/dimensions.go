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

// ResourceCache holds the values an Extractor's attribute dimensions read
// from one resource, so the spans of that resource read it once: give
// ExtractCached the same cache for the spans of a batch (batch.Extractor
// does). The zero value is empty. It is not safe for concurrent use, and it
// assumes the resources are not changed while it is in use.
type ResourceCache struct {
	res  pcommon.Resource
	full bool
	// vals: dimension i's value on the resource ("" none); invalid, bit i:
	// a value of dimension i met on the resource has no string form.
	vals    [MaxDimensions]string
	invalid uint8
}

// dimensions fills call.Dimensions: a provider or operation dimension from
// the call, an attribute dimension from the span's attributes, else the
// resource's (cache remembers the resource's values). A string
// value is used as is, an integer, double or boolean as its string form; any
// other type (bytes, map, slice) is refused (InvalidDimension) and the
// dimension left empty. An empty value counts as absent.
func (e *Extractor) dimensions(fs *foundSet, resource pcommon.Resource, cache *ResourceCache, call *Call) {
	var missing uint8 // bit i: dimension i found nothing on the span
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
		fi := f & (maxFields - 1)
		var v pcommon.Value
		found, prio := false, uint8(255)
		str, isStr := "", false
		if s := fs.v[fi].Str(); fs.isSettledStr(f, s) {
			// The common case, as Extract's for the provider: a plain
			// non-empty string, which settling would keep.
			str, isStr, found, prio = s, true, true, fs.prio[fi]
		} else if fs.has(f) {
			v, found, prio = fs.v[fi], true, fs.prio[fi]
		}
		for _, sk := range e.dim.short[i] {
			if sk.prio >= prio {
				break
			}
			if sv, ok := fs.attrs.Get(sk.key); ok && !isEmpty(sv) {
				v, found, isStr = sv, true, false
				break
			}
		}
		switch {
		case !found:
			missing |= 1 << i
		case isStr:
			call.Dimensions[i] = str
		default:
			call.Dimensions[i] = dimensionValue(v, &call.Invalid)
		}
	}
	if missing == 0 {
		return
	}
	if !cache.full || cache.res != resource {
		e.readResource(resource, cache)
	}
	for i := range e.dim.dims {
		if i &= MaxDimensions - 1; missing>>i&1 != 0 {
			call.Dimensions[i] = cache.vals[i]
			if cache.invalid>>i&1 != 0 {
				call.Invalid |= InvalidDimension
			}
		}
	}
}

// readResource reads every attribute dimension's value from the resource
// into c, in one pass over its attributes: a key whose length or middle byte
// no dimension key has is skipped with two compares. A dimension takes the
// value of its first key (in key order) the resource has non-empty; a value
// met on the way that has no string form marks the dimension invalid.
func (e *Extractor) readResource(resource pcommon.Resource, c *ResourceCache) {
	*c = ResourceCache{res: resource, full: true}
	var prios [MaxDimensions]uint8
	for i := range prios {
		prios[i] = 255
	}
	for k, v := range resource.Attributes().All() {
		if k == "" || e.dim.resLens>>(len(k)&63)&1 == 0 || e.dim.resMids>>(k[len(k)>>1]&63)&1 == 0 {
			continue
		}
		for _, rk := range e.dim.resKeys {
			i := rk.dim & (MaxDimensions - 1)
			if rk.prio >= prios[i] || rk.key != k || isEmpty(v) {
				continue
			}
			prios[i] = rk.prio
			var invalid Invalid
			c.vals[i] = dimensionValue(v, &invalid)
			if invalid != 0 {
				c.invalid |= 1 << i
			}
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
