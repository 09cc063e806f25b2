-- wrk script: POST /api/v1/payments as many users, each request with its own Idempotency-Key.
--
--   wrk -t2 -c64 -d10s --latency -s docs/bench/payments.lua http://127.0.0.1:8080 -- TOKENS_FILE [AMOUNT]
--
-- TOKENS_FILE has one "<bearer token> <merchant id>" pair per line (docs/bench/wrk-setup.sh
-- writes it). Requests go round the lines, each thread starting at its own offset. AMOUNT is
-- in IDR minor units (default 1000 = IDR 10.00). At the end the script prints how many
-- answers had each HTTP status: only 201 is a payment made.

local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	local file = args[1]
	if not file then
		error("usage: wrk ... -s payments.lua URL -- TOKENS_FILE [AMOUNT]")
	end
	pairs_ = {}
	for line in io.lines(file) do
		local token, merchant = line:match("^(%S+)%s+(%S+)")
		if token then
			table.insert(pairs_, { token = token, merchant = merchant })
		end
	end
	if #pairs_ == 0 then
		error("no \"token merchant\" lines in " .. file)
	end
	amount = tonumber(args[2] or "1000")
	-- Keys are unique across threads and runs: time, thread id and a counter.
	prefix = string.format("wrk-%d-%d-", os.time(), id)
	counter = 0
	statuses = {}
	wrk.method = "POST"
	wrk.path = "/api/v1/payments"
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	counter = counter + 1
	local p = pairs_[(counter + id * 7919) % #pairs_ + 1]
	wrk.headers["Authorization"] = "Bearer " .. p.token
	wrk.headers["Idempotency-Key"] = prefix .. counter
	local body = string.format('{"merchant_id":"%s","amount":%d,"currency":"IDR","order_ref":"wrk-%d"}',
		p.merchant, amount, counter)
	return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for status, n in pairs(t:get("statuses")) do
			total[status] = (total[status] or 0) + n
		end
	end
	io.write("status counts:")
	for status, n in pairs(total) do
		io.write(string.format(" %s=%d", status, n))
	end
	io.write(string.format("\npayments/s (201 only): %.1f\n", (total[201] or 0) / (summary.duration / 1e6)))
end
