package gazetteer

import "testing"

func TestFold(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// GeoNames spellings and what users type fold together.
		{"Ḩamāh", "hama"},
		{"Hamah", "hama"},
		{"Hama", "hama"},
		{"HAMA", "hama"},
		{"Ar Rastan", "rastan"},
		{"Al-Rastan", "rastan"},
		{"ar-Rastan", "rastan"},
		{"al Rastan", "rastan"},
		{"Er Rastan", "rastan"},
		{"Rastan", "rastan"},
		{"As Salamīyah", "salamiya"},
		{"Salamiyah", "salamiya"},
		{"Salamiyeh", "salamiya"},
		{"Salamieh", "salamiya"},
		{"Salamiya", "salamiya"},
		{"as-Salamiyah", "salamiya"},
		{"Ḩimş", "hims"},
		{"Homs", "homs"},
		{"Khoms", "homs"},
		{"Kh'oms", "homs"},
		{"Tallbīsah", "talbisa"},
		{"Talbiseh", "talbisa"},
		{"Latamneh", "latamna"},
		{"al-Lataminah", "latamina"},
		{"Deir ez-Zor", "dairzor"},
		{"Dayr az Zawr", "dairzavr"},
		{"Ma‘arrat an Nu‘mān", "maratnuman"},
		{"Jisr ash-Shughur", "jisrshugur"},
		{"Dimashq", "dimashk"},
		{"Dimashk", "dimashk"},
		{"Tartouss", "tartus"},
		{"Tartus", "tartus"},
		{"Erbil", "erbil"},
		{"Arbil", "arbil"},
		{"Hawler", "havler"},
		{"Hewlêr", "hevler"},
		{"Djibouti", "jibuti"},
		{"Jibuti", "jibuti"},
		{"Mayadeen", "maiadin"},
		{"Al Mayādīn", "maiadin"},
		// Articles are dropped only when something follows.
		{"El", "el"},
		{"al al Rastan", "rastan"},
		// Letters NFD does not decompose.
		{"Straße", "strase"},
		{"Łódź", "lodz"},
		{"Ørsta", "orsta"},
		// Arabic script: tashkeel, hamza seats, tā' marbūṭa, the article.
		{"حمص", "حمص"},
		{"حِمْص", "حمص"},
		{"الرستن", "رستن"},
		{"حماة", "حماه"},
		{"أربيل", "اربيل"},
		{"إربيل", "اربيل"},
		{"السلمية", "سلميه"},
		{"سلميّة", "سلميه"},
		{"دمـــشق", "دمشق"},
		// Arabic-Indic digits; punctuation only.
		{"٣", "3"},
		{" - ' ", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestArticleVariant(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Arrastan", "rastan", true},
		{"Alrastan", "rastan", true},
		{"Assalamiyah", "salamiya", true},
		{"Ashsham", "sham", true},
		{"Rastan", "", false},
		{"Homs", "", false},
	}
	for _, tt := range tests {
		var f folder
		f.tokens(tt.in)
		got, ok := f.articleVariant()
		if got != tt.want || ok != tt.ok {
			t.Errorf("articleVariant(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSkeleton(t *testing.T) {
	for in, want := range map[string]string{"homs": "hms", "hims": "hms", "latamna": "ltmn", "latamina": "ltmn", "": ""} {
		if got := skeleton(in); got != want {
			t.Errorf("skeleton(%q) = %q, want %q", in, got, want)
		}
	}
}
