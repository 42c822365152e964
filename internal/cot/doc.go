// Package cot is opsroom's Cursor-on-Target codec: the CoT event model, the
// XML encoding TAK devices speak by default ("TAK protocol version 0"), the
// TAK protocol version 1 protobuf payload, both framings of it, and the small
// control exchanges (ping and protocol negotiation) a server must answer.
//
// The package does no networking. A listener reads a connection with a
// Decoder (XML) or a StreamReader (protobuf, after negotiation), hands the
// events to the rest of opsroom, and writes events back with
// (*Event).AppendXML or (*Message).AppendProto plus AppendStreamFrame.
//
// Every decoding path is written for hostile input: sizes are bounded, the
// decoders never panic, and anything that is not a well-formed, valid event
// is reported as a *Error so the caller can close the connection. The detail
// of an event is kept verbatim (Detail.Raw) so extensions opsroom does not
// understand reach other TAK clients unchanged; that is only safe because the
// decoders check that the detail is well-formed XML before accepting it.
package cot
