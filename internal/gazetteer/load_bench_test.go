package gazetteer

import (
	"testing"
)

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := defaultGazetteer.load(); err != nil {
			b.Fatal(err)
		}
	}
}
