package intel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opsroom/opsroom/internal/timespan"
)

// SourceKind says what sort of thing a source is. It matters to readers
// weighing a report (an official statement is a party speaking for itself,
// an unnamed source is only as good as the outlet that cites it), so it is a
// closed set rather than free text.
type SourceKind string

// The source kinds. The strings are the wire and storage form.
const (
	KindPartnerCollection SourceKind = "partner-collection" // a room partner's own collection
	KindOutlet            SourceKind = "outlet"             // a newspaper, agency, broadcaster, site or blog
	KindUnnamedViaOutlet  SourceKind = "unnamed-via-outlet" // an unnamed source cited by an outlet
	KindOfficialStatement SourceKind = "official-statement" // a ministry, armed force or office speaking for itself
	KindSocialMedia       SourceKind = "social-media"       // an account or channel on a social platform
	KindGovernment        SourceKind = "government"         // a government as a party to the events (US, France)
	KindPartyOnGround     SourceKind = "party-on-ground"    // rebels, local activists, residents, witnesses
	KindOther             SourceKind = "other"
)

// SourceKinds lists every kind in display order.
var SourceKinds = []SourceKind{
	KindPartnerCollection, KindOutlet, KindUnnamedViaOutlet, KindOfficialStatement,
	KindSocialMedia, KindGovernment, KindPartyOnGround, KindOther,
}

// ErrInvalidSourceKind is wrapped by the error for an unknown kind.
var ErrInvalidSourceKind = errors.New("invalid source kind")

func allowedKinds() string {
	s := make([]string, len(SourceKinds))
	for i, k := range SourceKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Validate returns an error naming the allowed values when k is not one of
// SourceKinds.
func (k SourceKind) Validate() error {
	for _, v := range SourceKinds {
		if k == v {
			return nil
		}
	}
	if k == "" {
		return fmt.Errorf("%w: source kind is required; want one of %s", ErrInvalidSourceKind, allowedKinds())
	}
	return fmt.Errorf("%w: %q: want one of %s", ErrInvalidSourceKind, string(k), allowedKinds())
}

// ParseSourceKind accepts the wire form in any case, with surrounding spaces
// and with "_" or " " for "-" (forms and CSV imports vary).
func ParseSourceKind(s string) (SourceKind, error) {
	k := SourceKind(strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(s))))
	if err := k.Validate(); err != nil {
		return "", fmt.Errorf("%w: %q: want one of %s", ErrInvalidSourceKind, s, allowedKinds())
	}
	return k, nil
}

// UnmarshalText validates, so a bad kind in a JSON body fails at decoding
// with the allowed values named.
func (k *SourceKind) UnmarshalText(b []byte) error {
	v, err := ParseSourceKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Source is where reports come from. Two reports with the same Source ID
// count as one origin however many reports there are, so an outlet's
// unnamed source is its own Source (CitedBy names the outlet): it is the
// unnamed person, not the newspaper, who is the origin of what they said.
type Source struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Kind        SourceKind  `json:"kind"`
	Reliability Reliability `json:"reliability"`
	// CitedBy is the ID of the outlet citing an unnamed source; required
	// for KindUnnamedViaOutlet and empty otherwise.
	CitedBy string `json:"cited_by,omitempty"`
	Notes   string `json:"notes,omitempty"`
}

// Validate reports every problem with s.
func (s Source) Validate() error {
	var errs []error
	if strings.TrimSpace(s.ID) == "" {
		errs = append(errs, errors.New("source id is required"))
	}
	if strings.TrimSpace(s.Name) == "" {
		errs = append(errs, errors.New("source name is required"))
	}
	errs = append(errs, s.Kind.Validate(), s.Reliability.Validate())
	switch {
	case s.Kind == KindUnnamedViaOutlet && s.CitedBy == "":
		errs = append(errs, errors.New("cited_by is required for an unnamed source: name the outlet that cites it"))
	case s.Kind != KindUnnamedViaOutlet && s.CitedBy != "":
		errs = append(errs, fmt.Errorf("cited_by is only for kind %s", KindUnnamedViaOutlet))
	case s.CitedBy != "" && s.CitedBy == s.ID:
		errs = append(errs, errors.New("a source cannot cite itself"))
	}
	return errors.Join(errs...)
}

// Report is one piece of shared information. Its grade is the source's
// reliability with its own credibility; Observed is when what it describes
// happened, an interval because it is often only known roughly.
type Report struct {
	ID          string        `json:"id"`
	Source      string        `json:"source"`
	Text        string        `json:"text"`
	Credibility Credibility   `json:"credibility"`
	Observed    timespan.Span `json:"observed"`
}

// Validate reports every problem with r.
func (r Report) Validate() error {
	var errs []error
	if strings.TrimSpace(r.ID) == "" {
		errs = append(errs, errors.New("report id is required"))
	}
	if strings.TrimSpace(r.Source) == "" {
		errs = append(errs, errors.New("report source is required"))
	}
	if strings.TrimSpace(r.Text) == "" {
		errs = append(errs, errors.New("report text is required"))
	}
	errs = append(errs, r.Credibility.Validate())
	return errors.Join(errs...)
}

// Grade combines the report's credibility with its source's reliability.
func (r Report) Grade(src Source) Grade {
	return Grade{Reliability: src.Reliability, Credibility: r.Credibility}
}
