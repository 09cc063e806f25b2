package web

import (
	"strings"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// The security centre names a session's or a device's browser as people say it ("Chrome on
// Android"), not by its User-Agent string, which stays one tap away for the curious.

// osNames are the library's systems as people know them; an iOS phone is an iPhone.
var osNames = map[agents.OS]string{agents.OSMacOS: "macOS", agents.OSChromeOS: "ChromeOS"}

// Device names the browser and the system of the User-Agent ua in the page's language.
func (v *View) Device(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return v.T("wallet.security.ua_unknown")
	}
	p := v.site.ua.Parse(ua)
	browser, system := string(p.Browser()), string(p.OS())
	if n, ok := osNames[p.OS()]; ok {
		system = n
	}
	if p.OS() == agents.OSIOS {
		// The library says iOS for both; people know their iPhone or iPad.
		system = "iPhone"
		if p.Device() == agents.DeviceTablet || strings.Contains(ua, "iPad") {
			system = "iPad"
		}
	}
	switch {
	case browser != "" && system != "":
		return v.T("wallet.security.ua_on", browser, system)
	case browser != "":
		return browser
	case system != "":
		return v.T("wallet.security.ua_os", system)
	}
	return v.T("wallet.security.ua_unknown")
}

// newUAParser is the library's parser, built once from its embedded list (about 150 KB).
func newUAParser() *useragent.Parser { return useragent.NewParser() }
