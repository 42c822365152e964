package cot

import (
	"bufio"
	"errors"
	"io"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// magic is the byte that starts every TAK protocol header.
const magic = 0xbf

// DefaultMaxMessageSize is the StreamReader's default limit on one payload.
const DefaultMaxMessageSize = 64 << 10

// AppendStreamFrame appends payload with the streaming header: the magic
// byte and the payload length as a varint.
func AppendStreamFrame(dst, payload []byte) []byte {
	dst = append(dst, magic)
	dst = protowire.AppendVarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// AppendStreamMessage appends m as one stream frame.
func AppendStreamMessage(dst []byte, m *Message) []byte {
	return appendLengthPrefixed(append(dst, magic), m.AppendProto)
}

// StreamReader reads TAK protocol stream frames from a connection that has
// negotiated protocol version 1. Memory use is bounded by the maximum
// message size. After any error the reader is finished: Next keeps
// returning the same error, and the caller is expected to close the
// connection.
type StreamReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	err error
}

// NewStreamReader returns a StreamReader with DefaultMaxMessageSize. To
// switch an XML connection over after negotiation, pass
// io.MultiReader(dec.Buffered(), conn).
func NewStreamReader(r io.Reader) *StreamReader {
	return &StreamReader{r: bufio.NewReaderSize(r, 4<<10), max: DefaultMaxMessageSize}
}

// SetMaxMessageSize sets the largest payload accepted, in bytes.
func (s *StreamReader) SetMaxMessageSize(n int) { s.max = max(n, 1) }

// Next returns the next frame's payload. The slice is only valid until the
// next call. It returns io.EOF at a clean end between frames, a *Error for
// a bad header, an oversized frame or a stream cut inside a frame, and read
// errors from the underlying reader as they are.
func (s *StreamReader) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	p, err := s.next()
	if err != nil {
		s.err = err
	}
	return p, err
}

func (s *StreamReader) next() ([]byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return nil, err // io.EOF here is a clean end
	}
	if b != magic {
		return nil, malformed("stream frame starts with 0x" + strconv.FormatUint(uint64(b), 16) + ", want 0xbf")
	}
	var n uint64
	for i := 0; ; i++ {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, truncated(err)
		}
		if i == 9 && c > 1 { // more than 64 bits
			return nil, malformed("stream frame length overflows")
		}
		n |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			break
		}
	}
	if n > uint64(s.max) {
		return nil, errf(KindTooLarge, "stream frame of "+strconv.FormatUint(n, 10)+" bytes, limit "+strconv.Itoa(s.max))
	}
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n)
	}
	p := s.buf[:n]
	if _, err := io.ReadFull(s.r, p); err != nil {
		return nil, truncated(err)
	}
	return p, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errf(KindTruncated, "stream ended inside a frame")
	}
	return err
}

// Decode reads the next frame and decodes its payload.
func (s *StreamReader) Decode() (*Message, error) {
	p, err := s.Next()
	if err != nil {
		return nil, err
	}
	m, err := DecodeProto(p)
	if err != nil {
		s.err = err
	}
	return m, err
}

// AppendMeshFrame appends payload with the mesh header used for UDP
// datagrams: magic byte, protocol version as a varint, magic byte.
func AppendMeshFrame(dst []byte, version uint64, payload []byte) []byte {
	dst = append(dst, magic)
	dst = protowire.AppendVarint(dst, version)
	dst = append(dst, magic)
	return append(dst, payload...)
}

// ParseMeshFrame splits a mesh datagram into its protocol version and
// payload. A datagram that does not start with the magic byte is legacy XML
// (version 0) and is returned whole with version 0.
func ParseMeshFrame(b []byte) (version uint64, payload []byte, err error) {
	if len(b) == 0 || b[0] != magic {
		return 0, b, nil
	}
	v, n := protowire.ConsumeVarint(b[1:])
	if n < 0 {
		return 0, nil, malformed("mesh header: bad version")
	}
	if 1+n >= len(b) || b[1+n] != magic {
		return 0, nil, malformed("mesh header: missing second magic byte")
	}
	if v == 0 {
		return 0, nil, malformed("mesh header: version 0 is never framed")
	}
	return v, b[1+n+1:], nil
}
