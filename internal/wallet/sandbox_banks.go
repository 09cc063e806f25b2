package wallet

import (
	"context"
	"hash/fnv"
	"strings"

	"github.com/dompet/dompet/internal/fault"
)

// BankInfo is a bank users can withdraw to.
type BankInfo struct {
	Code    string `json:"code" doc:"the bank's code (its SWIFT/BIC), used as bank_code"`
	Name    string `json:"name"`
	Country string `json:"country" doc:"ISO 3166-1 alpha-2"`
}

// ErrUnknownBank refuses a bank code the directory does not list.
var ErrUnknownBank = fault.Invalid("bank_code", fault.MsgUnknownBank)

// sandboxBanks are the banks of the sandbox directory: real banks of Indonesia, China,
// Singapore and the United States, by their SWIFT/BIC codes.
var sandboxBanks = []BankInfo{
	{"CENAIDJA", "Bank Central Asia (BCA)", "ID"},
	{"BMRIIDJA", "Bank Mandiri", "ID"},
	{"BNINIDJA", "Bank Negara Indonesia (BNI)", "ID"},
	{"BRINIDJA", "Bank Rakyat Indonesia (BRI)", "ID"},
	{"BNIAIDJA", "Bank CIMB Niaga", "ID"},
	{"BBBAIDJA", "Bank Permata", "ID"},
	{"BDINIDJA", "Bank Danamon", "ID"},
	{"BSMDIDJA", "Bank Syariah Indonesia (BSI)", "ID"},
	{"ICBKCNBJ", "Industrial and Commercial Bank of China (ICBC)", "CN"},
	{"PCBCCNBJ", "China Construction Bank (CCB)", "CN"},
	{"ABOCCNBJ", "Agricultural Bank of China (ABC)", "CN"},
	{"BKCHCNBJ", "Bank of China", "CN"},
	{"COMMCNSH", "Bank of Communications", "CN"},
	{"CMBCCNBS", "China Merchants Bank", "CN"},
	{"DBSSSGSG", "DBS Bank", "SG"},
	{"OCBCSGSG", "OCBC Bank", "SG"},
	{"UOVBSGSG", "United Overseas Bank (UOB)", "SG"},
	{"SCBLSGSG", "Standard Chartered Bank (Singapore)", "SG"},
	{"MBBESGSG", "Maybank Singapore", "SG"},
	{"CHASUS33", "JPMorgan Chase Bank", "US"},
	{"BOFAUS3N", "Bank of America", "US"},
	{"WFBIUS6S", "Wells Fargo Bank", "US"},
	{"CITIUS33", "Citibank", "US"},
	{"USBKUS44", "U.S. Bank", "US"},
}

// sandboxNames are the given and family names holder names are made of, per country.
var sandboxNames = map[string][2][]string{
	"ID": {{"Budi", "Siti", "Agus", "Dewi", "Rina", "Joko", "Putri", "Wahyu"}, {"Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kusuma", "Pratama", "Nugroho"}},
	"CN": {{"伟", "芳", "娜", "敏", "静", "磊", "洋", "婷"}, {"王", "李", "张", "刘", "陈", "杨", "黄", "赵"}},
	"SG": {{"Wei Ling", "Jun Jie", "Siew Mei", "Arjun", "Nurul", "Kai Wen", "Priya", "Hui Min"}, {"Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua"}},
	"US": {{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"}, {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"}},
}

// Banks implements BankDirectory.
func (s *Sandbox) Banks(ctx context.Context) ([]BankInfo, error) {
	return append([]BankInfo(nil), sandboxBanks...), nil
}

// Inquire implements BankDirectory: every account number of a listed bank has a holder,
// whose name is derived from the bank code and the number.
func (s *Sandbox) Inquire(ctx context.Context, bankCode, accountNumber string) (string, error) {
	if s.down() {
		return "", Unavailable("sandbox bank is down")
	}
	for _, b := range sandboxBanks {
		if strings.EqualFold(b.Code, bankCode) {
			h := fnv.New32a()
			_, _ = h.Write([]byte(b.Code + ":" + accountNumber))
			n := h.Sum32()
			names := sandboxNames[b.Country]
			given, family := names[0][n%uint32(len(names[0]))], names[1][(n/8)%uint32(len(names[1]))]
			if b.Country == "CN" {
				return family + given, nil // family name first, no space
			}
			return given + " " + family, nil
		}
	}
	return "", ErrUnknownBank
}
