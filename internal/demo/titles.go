package demo

// Titles of the scenario's events in scenario.json, for tests and for
// the operations (LoadOps) that refer to them. TestTitlesInDocument keeps
// them in step with the document.
const (
	EventRooms2015       = "Joint operations rooms established in Baghdad and Damascus"
	EventAntiISRoom14    = "Anti-IS operations room set up with the Iraqi military"
	EventAirCampaign     = "RU air campaign begins"
	EventLatamnehStrike  = "Air strikes on Latamneh, north-west of Hama"
	EventNorthHomsStrike = "Air strikes north of Homs"
	EventRastanStrike    = "Strikes on Rastan reported by Syrian state TV"
	EventTalbisehStrike  = "Strikes on Talbiseh reported by Syrian state TV"
	EventSalamiyahStrike = "Strikes near Salamiyah reported by Syrian state TV"
	EventIRTroopsArrive  = "IR troops arrive in Syria"
	EventMi35Delivery    = "Third consignment of Mi-35M helicopters delivered to IQ"
	EventAidFlight       = "Humanitarian aid flight, 37 tonnes"
	EventErbilAid        = "Aid to displaced Kurds in Erbil"
)

// Titles of the scenario's sites in scenario.json.
const (
	SiteAlRasheed      = "Al Rasheed hotel, Green Zone"
	SiteBaghdadAirport = "Baghdad airport"
	SiteErbilAid       = "Erbil aid distribution site"
)
