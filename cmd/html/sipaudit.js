/* sipaudit.js - draws sipaudit's HTML pages from their JSON blocks: the
 * ladder of a call (inline SVG: hosts as columns, one arrow per message, one
 * double arrow per RTP stream, findings on the arrows that prove them, the
 * raw message on a click), RTP charts (packet rate, loss, jitter over time
 * with the call's signalling events), and the report (summary, findings by
 * cause, a paged calls table opening each call's ladder). Data only ever
 * reach the page as text nodes and attributes, never as markup. Nothing is
 * fetched. Embedded into the binary by cmd/html/embed.py. */
(function () {
	'use strict';

	var SVGNS = 'http://www.w3.org/2000/svg';
	var SEV = ['info', 'warning', 'error'];

	function el(tag, attrs) {
		var e = document.createElement(tag);
		set(e, attrs);
		for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
		return e;
	}
	function sv(tag, attrs) {
		var e = document.createElementNS(SVGNS, tag);
		set(e, attrs);
		for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
		return e;
	}
	function set(e, attrs) {
		if (!attrs) return;
		for (var k in attrs) {
			if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === null || attrs[k] === undefined) continue;
			if (k === 'text') e.textContent = String(attrs[k]);
			else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
			else e.setAttribute(k, String(attrs[k]));
		}
	}
	function add(e, kid) {
		if (kid === null || kid === undefined || kid === false) return;
		if (Array.isArray(kid)) { kid.forEach(function (k) { add(e, k); }); return; }
		e.appendChild(typeof kid === 'object' ? kid : document.createTextNode(String(kid)));
	}
	function data(id) {
		var e = document.getElementById(id);
		if (!e) return null;
		try { return JSON.parse(e.textContent); } catch (err) { return null; }
	}
	function isoTime(ms) {
		if (ms === null || ms === undefined) return '-';
		try { return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC'); } catch (e) { return '-'; }
	}
	function secs(ms) { return (ms / 1000).toFixed(3); }
	function dur(s) {
		if (s === null || s === undefined) return '-';
		if (s < 60) return s.toFixed(1) + ' s';
		if (s < 3600) return Math.floor(s / 60) + 'm' + ('0' + Math.floor(s % 60)).slice(-2) + 's';
		return Math.floor(s / 3600) + 'h' + ('0' + Math.floor(s / 60 % 60)).slice(-2) + 'm';
	}
	function num(v, d) { return v === null || v === undefined ? '-' : v.toFixed(d); }
	function plural(n, w, ws) { return n + ' ' + (n === 1 ? w : (ws || w + 's')); }
	function sevBadge(s) { return el('span', { 'class': 'sev sev-' + SEV[s], text: SEV[s] }); }
	function statusClass(m) {
		if (m.req) return 'req';
		if (m.st < 200) return 'r1xx';
		if (m.st < 300) return 'r2xx';
		if (m.st < 400) return 'r3xx';
		return 'fail';
	}
	function noUri(u) { return (u || '').replace(/^sips?:/i, '').replace(/;.*$/, ''); }

	/* ---------------- the ladder of one call ---------------- */

	var ROW = 42, TOP = 56, GUTTER = 96, COLW = 230;

	function findingsOf(call, late) {
		var f = call.findings.slice();
		(late || []).forEach(function (x) { if (x.call === call.n) f.push(x); });
		return f;
	}

	/* Which findings cite item k: from the C side (exact), plus late
	 * findings by frame. Returns [[index, key], ...]. */
	function cites(call, k, fs) {
		var it = call.items[k], out = [];
		(it[2] || []).forEach(function (v) { out.push(v < 0 ? [-v - 1, true] : [v, false]); });
		var nOwn = call.findings.length;
		var frames = it[0] === 'm' ? [call.msgs[it[1]].f] : [call.streams[it[1]].ff, call.streams[it[1]].lf];
		for (var i = nOwn; i < fs.length; i++)
			if (fs[i].frames.some(function (fr) { return frames.indexOf(fr) >= 0; }))
				out.push([i, frames.indexOf(fs[i].frame) >= 0]);
		return out;
	}

	function arrowHead(id, cls) {
		return sv('marker', { id: id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse',
			orient: 'auto-start-reverse', 'class': cls },
		sv('path', { d: 'M0,0 L10,5 L0,10 z' }));
	}

	function msgLabel(m) {
		return m.l + (m.cs ? '  CSeq ' + m.cs + (m.req ? '' : ' ' + m.cm) : '') + (m.re ? '  (retransmission)' : m.dup ? '  (duplicate)' : '');
	}

	function ladderSvg(call, fs, ctx) {
		var nh = call.hosts.length;
		/* columns wide enough for the longest label between neighbours */
		var longest = 0;
		call.msgs.forEach(function (m) { if (m.s !== m.d) longest = Math.max(longest, msgLabel(m).length / Math.abs(m.s - m.d)); });
		COLW = Math.max(230, Math.min(460, Math.ceil(longest * 7.2) + 72));
		var W = GUTTER + Math.max(nh, 2) * COLW;
		var H = TOP + call.items.length * ROW + 16;
		var uid = 'c' + call.n;
		var svg = sv('svg', { 'class': 'ladder', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
			'aria-label': 'Ladder of call #' + call.n });
		var defs = sv('defs');
		['req', 'r1xx', 'r2xx', 'r3xx', 'fail', 'rtp'].forEach(function (c) { defs.appendChild(arrowHead(uid + '-' + c, 'head-' + c)); });
		svg.appendChild(defs);
		function x(i) { return GUTTER + COLW / 2 + i * COLW; }
		call.hosts.forEach(function (h, i) {
			svg.appendChild(sv('line', { 'class': 'life' + (h.media ? ' media' : ''), x1: x(i), y1: TOP - 14, x2: x(i), y2: H - 4 }));
			svg.appendChild(sv('rect', { 'class': 'hostbox' + (h.media ? ' media' : ''), x: x(i) - COLW / 2 + 8, y: 6, width: COLW - 16, height: 30, rx: 4 }));
			svg.appendChild(sv('text', { 'class': 'host', x: x(i), y: 26, 'text-anchor': 'middle' },
				sv('title', { text: h.name + (h.media ? ' (media only)' : '') }), fit(h.name, 26)));
		});
		call.items.forEach(function (it, k) {
			var y = TOP + k * ROW + 24;
			var c = cites(call, k, fs);
			var g;
			if (it[0] === 'm') g = msgArrow(call, call.msgs[it[1]], it[1], y, x, uid, c, fs);
			else g = streamArrow(call, call.streams[it[1]], it[1], y, x, uid, c, fs);
			g.addEventListener('click', function () { ctx.select(k); });
			g.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); ctx.select(k); } });
			svg.appendChild(g);
		});
		return svg;
	}

	function fit(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

	function markers(g, c, fs, xm, y) {
		if (!c.length) return;
		var worst = 0, key = false, titles = [];
		c.forEach(function (p) {
			var f = fs[p[0]];
			if (f.sev > worst) worst = f.sev;
			if (p[1]) key = true;
			titles.push(SEV[f.sev] + ' ' + f.rule + ': ' + f.summary);
		});
		g.classList.add('cited', 'cited-' + SEV[worst]);
		var m = sv('g', { 'class': 'marker sev-' + SEV[worst] + (key ? ' key' : ''),
			'data-rules': c.map(function (p) { return fs[p[0]].rule; }).join(' '),
			'data-findings': c.map(function (p) { return p[0]; }).join(' ') },
		sv('title', { text: titles.join('\n') }),
		sv('circle', { cx: xm, cy: y, r: key ? 9 : 7.5 }),
		sv('text', { x: xm, y: y + 4, 'text-anchor': 'middle', text: c.length > 1 ? String(c.length) : '!' }));
		g.appendChild(m);
	}

	function gutter(g, t, frame, y) {
		g.appendChild(sv('text', { 'class': 'off', x: 6, y: y - 3, text: '+' + secs(t) }));
		g.appendChild(sv('text', { 'class': 'frame', x: 6, y: y + 11, text: '#' + frame }));
	}

	function msgArrow(call, m, i, y, x, uid, c, fs) {
		var cls = statusClass(m);
		var g = sv('g', { 'class': 'arrow ' + cls + (m.re ? ' retrans' : '') + (m.dup ? ' dup' : '') + (m.bad ? ' malformed' : ''),
			'data-frame': m.f, 'data-msg': i, tabindex: 0, role: 'button',
			'aria-label': 'frame ' + m.f + ' ' + m.l });
		gutter(g, m.t, m.f, y);
		var x1 = x(m.s), x2 = x(m.d);
		var label = msgLabel(m);
		var xm;
		if (x1 === x2) {
			xm = x1 + 36;
			g.appendChild(sv('rect', { 'class': 'hit', x: x1 - 4, y: y - 22, width: COLW - 10, height: ROW - 2 }));
			g.appendChild(sv('path', { 'class': 'line', d: 'M' + x1 + ',' + (y - 8) + ' h30 v14 h-28', 'marker-end': 'url(#' + uid + '-' + cls + ')' }));
			g.appendChild(sv('text', { 'class': 'label', x: x1 + 40, y: y - 2, text: label }));
		} else {
			var lo = Math.min(x1, x2), hi = Math.max(x1, x2);
			xm = (lo + hi) / 2;
			g.appendChild(sv('rect', { 'class': 'hit', x: lo, y: y - 22, width: hi - lo, height: ROW - 2 }));
			g.appendChild(sv('line', { 'class': 'line', x1: x1 + (x2 > x1 ? 2 : -2), y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y,
				'marker-end': 'url(#' + uid + '-' + cls + ')' }));
			g.appendChild(sv('text', { 'class': 'label', x: xm, y: y - 6, 'text-anchor': 'middle', text: label }));
			if (m.sdp) g.appendChild(sv('text', { 'class': 'sdp', x: xm, y: y + 17, 'text-anchor': 'middle', text: 'SDP ' + m.sdp }));
		}
		g.appendChild(sv('title', { text: 'frame ' + m.f + ', ' + m.tr + ', ' + call.hosts[m.s].name + ' \u2192 ' + call.hosts[m.d].name + ' (click: raw message)' }));
		markers(g, c, fs, x1 === x2 ? x1 + 30 : x1 + (x2 > x1 ? 24 : -24), x1 === x2 ? y - 1 : y);
		return g;
	}

	function streamText(s) { return 'RTP ' + s.codec + '  ' + plural(s.pkts, 'pkt'); }
	function streamFigures(s) {
		return 'loss ' + num(s.loss, 1) + '%' + (s.jm !== null ? '  jitter ' + num(s.jm, 1) + ' ms' : '') +
			(s.mos !== null ? '  MOS ' + num(s.mos, 2) : '');
	}

	function streamArrow(call, s, j, y, x, uid, c, fs) {
		var g = sv('g', { 'class': 'stream', 'data-stream': j, 'data-frame': s.ff, tabindex: 0, role: 'button',
			'aria-label': 'RTP stream ' + s.ssrc });
		gutter(g, s.t, s.ff, y);
		var x1 = x(s.s), x2 = x(s.d), lo = Math.min(x1, x2), hi = Math.max(x1, x2), xm = (lo + hi) / 2;
		if (x1 === x2) { hi = lo + COLW * 0.8; x2 = hi; xm = (lo + hi) / 2; }
		g.appendChild(sv('rect', { 'class': 'hit', x: lo, y: y - 22, width: Math.max(hi - lo, 10), height: ROW - 2 }));
		var d = x2 > x1 ? -3 : 3;
		g.appendChild(sv('line', { 'class': 'rtp', x1: x1, y1: y - 2, x2: x2 + d, y2: y - 2 }));
		g.appendChild(sv('line', { 'class': 'rtp', x1: x1, y1: y + 2, x2: x2 + d, y2: y + 2, 'marker-end': 'url(#' + uid + '-rtp)' }));
		g.appendChild(sv('text', { 'class': 'label rtp-label', x: xm, y: y - 8, 'text-anchor': 'middle', text: streamText(s) }));
		g.appendChild(sv('text', { 'class': 'sdp', x: xm, y: y + 17, 'text-anchor': 'middle', text: streamFigures(s) }));
		g.appendChild(sv('title', { text: s.sn + ' \u2192 ' + s.dn + ', ssrc ' + s.ssrc + ' (click: figures and chart)' }));
		markers(g, c, fs, x1 + (x2 > x1 ? 24 : -24), y);
		return g;
	}

	function findingItem(f, i, onFrame) {
		var frames = el('span', { 'class': 'frames' }, 'frames: ');
		f.frames.forEach(function (fr, k) {
			if (k) frames.appendChild(document.createTextNode(' '));
			frames.appendChild(el('button', { type: 'button', 'class': 'framelink' + (fr === f.frame ? ' keyframe' : ''),
				'data-frame': fr, text: '#' + fr, onclick: function () { onFrame(fr); } }));
		});
		return el('li', { 'class': 'finding sev-' + SEV[f.sev], 'data-rule': f.rule, 'data-index': i },
			el('div', { 'class': 'fhead' }, sevBadge(f.sev), ' ', el('code', { text: f.rule }), ' ', el('span', { 'class': 'summary', text: f.summary })),
			f.why ? el('div', { 'class': 'why' }, el('b', { text: 'why: ' }), f.why) : null,
			f.hint ? el('div', { 'class': 'hint' }, el('b', { text: 'hint: ' }), f.hint) : null,
			el('div', { 'class': 'meta' }, frames, f.ref ? el('span', { 'class': 'ref', text: ' \u00b7 ' + f.ref }) : null,
				f.host ? el('span', { text: ' \u00b7 host ' + f.host }) : null));
	}

	/* ---------------- charts ---------------- */

	var CW = 640, CH = 54, CL = 52, CR = 12;

	function chart(call, s) {
		var b = s.series ? s.series.b : [];
		var w = s.series ? s.series.w : 250, t0 = s.series ? s.series.t0 : s.t;
		var tmax = Math.max(call.end || 0, s.e, t0 + b.length * w);
		(call.events || []).forEach(function (e) { if (e.t > tmax) tmax = e.t; });
		if (tmax <= 0) tmax = 1;
		var panels = [
			{ name: 'packets/s', val: function (x) { return x[0] * 1000 / w; }, cls: 'rate' },
			{ name: 'lost', val: function (x) { return x[1]; }, cls: 'loss', bars: true },
			{ name: 'jitter ms', val: function (x) { return x[2]; }, max: function (x) { return x[3]; }, cls: 'jit' }];
		function X(t) { return CL + (CW - CL - CR) * t / tmax; }
		/* event labels: events at one spot share a label, labels that
		 * would overlap go on rows of their own */
		var labels = [], rowsEnd = [];
		(call.events || []).slice().sort(function (a, b) { return a.t - b.t; }).forEach(function (e) {
			var last = labels[labels.length - 1];
			if (last && X(e.t) - last.x < 3) { last.text += ', ' + e.l; last.evs.push(e); return; }
			labels.push({ x: X(e.t), text: e.l, evs: [e] });
		});
		labels.forEach(function (l) {
			var w = l.text.length * 5.6 + 6, right = l.x + w > CW;
			l.x0 = right ? l.x - w : l.x;
			for (l.row = 0; l.row < rowsEnd.length && rowsEnd[l.row] > l.x0; l.row++);
			rowsEnd[l.row] = l.x0 + w;
			l.right = right;
		});
		var PAD = 10 + Math.max(1, rowsEnd.length) * 11;
		var H = PAD + panels.length * (CH + 14) + 18;
		var svg = sv('svg', { 'class': 'chart', width: CW, height: H, viewBox: '0 0 ' + CW + ' ' + H, role: 'img',
			'aria-label': 'packet rate, loss and jitter of stream ' + s.ssrc + ' over time' });
		panels.forEach(function (p, k) {
			var top = PAD + k * (CH + 14);
			var vmax = 0;
			b.forEach(function (x) { var v = p.max ? p.max(x) : p.val(x); if (v !== null && v > vmax) vmax = v; });
			vmax = vmax > 0 ? vmax * 1.25 : 1; /* room for the panel's name */
			function Y(v) { return top + CH - CH * v / vmax; }
			svg.appendChild(sv('rect', { 'class': 'panel', x: CL, y: top, width: CW - CL - CR, height: CH }));
			svg.appendChild(sv('text', { 'class': 'axis', x: CL - 4, y: top + 9, 'text-anchor': 'end', text: fmtAxis(vmax) }));
			svg.appendChild(sv('text', { 'class': 'axis', x: CL - 4, y: top + CH, 'text-anchor': 'end', text: '0' }));
			svg.appendChild(sv('text', { 'class': 'pname', x: CL + 4, y: top + 11, text: p.name }));
			if (p.bars) {
				b.forEach(function (x, i) {
					if (!x[1]) return;
					svg.appendChild(sv('rect', { 'class': 'bar ' + p.cls, x: X(t0 + i * w), y: Y(x[1]), width: Math.max(1.5, X(t0 + (i + 1) * w) - X(t0 + i * w) - 1), height: top + CH - Y(x[1]) },
						sv('title', { text: x[1] + ' lost at +' + secs(t0 + i * w) + ' s' })));
				});
			} else {
				var pts = [], mx = [];
				b.forEach(function (x, i) {
					var v = p.val(x), xc = X(t0 + (i + 0.5) * w);
					if (v !== null) pts.push(xc.toFixed(1) + ',' + Y(v).toFixed(1));
					if (p.max && x[3] !== null) mx.push(xc.toFixed(1) + ',' + Y(x[3]).toFixed(1));
				});
				if (mx.length) svg.appendChild(sv('polyline', { 'class': 'series ' + p.cls + ' max', points: mx.join(' ') }));
				if (pts.length) svg.appendChild(sv('polyline', { 'class': 'series ' + p.cls, points: pts.join(' ') }));
			}
		});
		var bottom = PAD + panels.length * (CH + 14) - 14;
		var step = niceStep(tmax / 1000 / 6);
		for (var t = 0; t <= tmax / 1000 + 1e-9; t += step) {
			svg.appendChild(sv('line', { 'class': 'tick', x1: X(t * 1000), y1: bottom, x2: X(t * 1000), y2: bottom + 4 }));
			svg.appendChild(sv('text', { 'class': 'axis', x: X(t * 1000), y: bottom + 15, 'text-anchor': 'middle', text: (+t.toFixed(3)) + ' s' }));
		}
		labels.forEach(function (l) {
			l.evs.forEach(function (e) {
				svg.appendChild(sv('line', { 'class': 'event ev-' + e.l.replace(/[^a-zA-Z]/g, ''), x1: X(e.t), y1: 4 + (l.row + 1) * 11 + 3, x2: X(e.t), y2: bottom, 'data-event': e.l }));
			});
			svg.appendChild(sv('text', { 'class': 'evlabel', x: l.right ? l.x - 2 : l.x + 2, y: 4 + (l.row + 1) * 11, 'text-anchor': l.right ? 'end' : 'start', text: l.text },
				sv('title', { text: l.evs.map(function (e) { return e.l + ' at +' + secs(e.t) + ' s (frame ' + e.f + ')'; }).join('\n') })));
		});
		return svg;
	}
	function niceStep(x) {
		var p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1e-3))));
		var m = x / p;
		return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
	}
	function fmtAxis(v) { return v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(0) : v.toFixed(1); }

	/* ---------------- one call: header, ladder, raw, findings, media ---------------- */

	function renderCall(call, late, inputs, openLeg) {
		var fs = findingsOf(call, late);
		var root = el('section', { 'class': 'call', id: 'call-' + call.n, 'data-call': call.n });
		var raw = el('pre', { 'class': 'rawtext', text: 'Click an arrow to see its message.' });
		var rawHead = el('div', { 'class': 'rawhead', text: 'Message' });
		var rawBox = el('aside', { 'class': 'raw', id: 'raw-' + call.n }, rawHead, raw);
		var selected = null, svg;
		var streamBoxes = [];
		var ctx = {
			select: function (k) {
				if (selected !== null) svg.querySelectorAll('.selected').forEach(function (e) { e.classList.remove('selected'); });
				selected = k;
				var it = call.items[k];
				var g = svg.querySelector(it[0] === 'm' ? 'g.arrow[data-msg="' + it[1] + '"]' : 'g.stream[data-stream="' + it[1] + '"]');
				if (g) g.classList.add('selected');
				if (it[0] === 'm') {
					var m = call.msgs[it[1]];
					rawHead.textContent = 'Frame #' + m.f + '  +' + secs(m.t) + ' s  ' + m.tr + '  ' +
						call.hosts[m.s].name + ' \u2192 ' + call.hosts[m.d].name + (m.re ? '  (retransmission)' : '') + (m.dup ? '  (duplicate)' : '');
					raw.textContent = m.raw !== undefined ? m.raw : '(the raw message is not in this page)';
					rawBox.classList.add('has-msg');
				} else {
					var sb = streamBoxes[it[1]];
					if (sb) { sb.scrollIntoView({ block: 'nearest' }); sb.classList.add('flash'); setTimeout(function () { sb.classList.remove('flash'); }, 900); }
				}
			},
			frame: function (fr) {
				for (var k = 0; k < call.items.length; k++) {
					var it = call.items[k];
					if (it[0] === 'm' ? call.msgs[it[1]].f === fr : (call.streams[it[1]].ff === fr || call.streams[it[1]].lf === fr)) {
						ctx.select(k);
						var g = svg.querySelector('.selected');
						if (g && g.scrollIntoView) g.scrollIntoView({ block: 'center' });
						return;
					}
				}
			}
		};
		var head = el('header', { 'class': 'callhead' },
			el('h2', { text: 'Call #' + call.n + (call.from || call.to ? ': ' + noUri(call.from) + ' \u2192 ' + noUri(call.to) : '') }),
			el('dl', { 'class': 'facts' },
				fact('Call-ID', call.callId),
				inputs && inputs.length > 1 ? fact('input', inputs[call.input]) : null,
				fact('kind', call.kind), fact('state', call.state + (call.status ? ' (' + call.status + ')' : '')),
				fact('start', isoTime(call.t0)), fact('duration', dur(call.dur)),
				fact('messages', call.msgs.length + (call.streams.length ? ', ' + plural(call.streams.length, 'RTP stream') : '')),
				call.legs ? [el('dt', { text: 'B2BUA legs' }), el('dd', {}, legLinks(call.legs, openLeg))] : null,
				fact('findings', fs.length ? fs.map(function (f) { return SEV[f.sev]; }).reduce(countWords, []).join(', ') : 'none')));
		root.appendChild(head);
		svg = ladderSvg(call, fs, ctx);
		root.appendChild(el('div', { 'class': 'callbody' }, el('div', { 'class': 'ladderbox' }, svg), rawBox));
		if (fs.length) {
			var ol = el('ol', { 'class': 'findings' });
			fs.forEach(function (f, i) { ol.appendChild(findingItem(f, i, ctx.frame)); });
			root.appendChild(el('h3', { text: 'Findings (' + fs.length + ')' }));
			root.appendChild(ol);
		}
		if (call.streams.length) {
			root.appendChild(el('h3', { text: 'RTP streams' }));
			var media = el('div', { 'class': 'media' });
			call.streams.forEach(function (s, j) {
				var box = el('figure', { 'class': 'streambox', 'data-stream': j },
					el('figcaption', {}, el('b', { text: s.codec + ' ' + s.sn + ' \u2192 ' + s.dn }), ' ssrc ' + s.ssrc + (s.dir ? ', ' + s.dir : '')),
					el('table', { 'class': 'figures' },
						el('tr', {}, ['packets', 'lost', 'loss', 'jitter mean', 'jitter max', 'longest gap', 'MOS', 'time'].map(function (h) { return el('th', { text: h }); })),
						el('tr', {}, [s.pkts, s.lost, num(s.loss, 2) + ' %', num(s.jm, 2) + ' ms', num(s.jx, 2) + ' ms', num(s.gap, 1) + ' ms', num(s.mos, 2),
							'+' + secs(s.t) + ' \u2013 +' + secs(s.e) + ' s'].map(function (v) { return el('td', { text: v }); }))),
					chart(call, s));
				streamBoxes[j] = box;
				media.appendChild(box);
			});
			root.appendChild(media);
		}
		return root;
	}
	/* "#2 by X-Call-ID, #5 by same SDP" with each number opening that leg when the page can */
	function legLinks(text, openLeg) {
		if (!openLeg) return text;
		var out = [], re = /#(\d+)/g, last = 0, m;
		while ((m = re.exec(text))) {
			out.push(text.slice(last, m.index));
			var n = +m[1];
			out.push(el('a', { href: '#call-' + n, 'class': 'leglink', text: m[0], onclick: function (ev) { ev.preventDefault(); openLeg(+this.textContent.slice(1)); } }));
			last = re.lastIndex;
		}
		out.push(text.slice(last));
		return out;
	}
	function fact(k, v) { return [el('dt', { text: k }), el('dd', { text: v })]; }
	function countWords(acc, w) {
		var found = false;
		acc = acc.map(function (s) { var p = s.split(' '); if (p[1] === w || p[1] === w + 's') { found = true; return (+p[0] + 1) + ' ' + w + 's'; } return s; });
		if (!found) acc.push('1 ' + w);
		return acc.map(function (s) { return s.replace(/^1 (\w+?)s$/, '1 $1').replace(/infos$/, 'info'); });
	}

	/* ---------------- pages ---------------- */

	var page = data('sa-page') || {};
	var app = document.getElementById('app');

	function ladderPage() {
		var calls = page.calls || [];
		app.appendChild(el('header', { 'class': 'pagehead' },
			el('h1', { text: 'sipaudit ladder' }),
			el('p', { 'class': 'muted', text: (page.inputs || []).join(', ') })));
		calls.forEach(function (n) {
			var c = data('sa-c' + n);
			if (c) app.appendChild(renderCall(c, page.late, page.inputs));
		});
		document.body.setAttribute('data-ready', '1');
	}

	/* KPIs: a table (all inputs, each input, the peers with most attempts)
	 * and the post-dial delay histogram, from the page's "kpis" */
	function msTxt(v) { return v === null || v === undefined ? '-' : v < 1000 ? v.toFixed(v < 10 ? 1 : 0) + ' ms' : (v / 1000).toFixed(1) + ' s'; }
	function pct(v) { return v === null || v === undefined ? '-' : (100 * v).toFixed(1) + ' %'; }
	function kpiRow(label, k) {
		var q = function (a, i) { return a ? msTxt(a[i]) : '-'; };
		var codes = Object.keys(k.codes || {}).sort().map(function (c) { return c + '\u00d7' + k.codes[c]; }).join(' ');
		return el('tr', {}, el('th', { text: label }), [k.att, k.ans, pct(k.asr), pct(k.ner), k.acd === null ? '-' : k.acd.toFixed(1) + ' s',
			q(k.pdd, 0), q(k.pdd, 1), q(k.pdd, 2), q(k.setup, 0), q(k.setup, 1), k.regAtt ? k.regOk + '/' + k.regAtt : '-',
			k.msgs ? (100 * k.retr / k.msgs).toFixed(1) + ' %' : '-', codes || '-'].map(function (v) { return el('td', { text: v }); }));
	}
	function pddChart(edges, bins) {
		var total = bins.reduce(function (a, b) { return a + b; }, 0);
		if (!total) return el('p', { 'class': 'muted', text: 'No post-dial delay measured (no call got an 18x).' });
		/* "< 100 ms", "100-250 ms", "0.5-1 s", ">= 10 s" */
		var unit = function (a, b) { return b <= 1000 ? ' ms' : ' s'; };
		var v = function (a, b) { return b <= 1000 ? String(a) : String(a / 1000); };
		var labels = bins.map(function (b, i) {
			if (!i) return '< ' + v(edges[0], edges[0]) + unit(0, edges[0]);
			if (i === edges.length) return '\u2265 ' + v(edges[i - 1], edges[i - 1]) + unit(0, edges[i - 1]);
			return v(edges[i - 1], edges[i]) + '\u2013' + v(edges[i], edges[i]) + unit(0, edges[i]);
		});
		var W = 76, H = 120, max = Math.max.apply(null, bins);
		var svg = sv('svg', { 'class': 'pdd', width: W * bins.length + 10, height: H + 40, role: 'img',
			'aria-label': 'post-dial delay histogram' });
		bins.forEach(function (b, i) {
			var h = max ? Math.round(H * b / max) : 0;
			svg.appendChild(sv('rect', { x: 5 + i * W + 6, y: 10 + H - h, width: W - 12, height: h, 'data-n': b },
				sv('title', { text: labels[i] + ': ' + plural(b, 'call') })));
			svg.appendChild(sv('text', { x: 5 + i * W + W / 2, y: 8 + H - h, 'text-anchor': 'middle', text: b }));
			svg.appendChild(sv('text', { x: 5 + i * W + W / 2, y: H + 28, 'text-anchor': 'middle', 'class': 'axis', text: labels[i] }));
		});
		return el('figure', { 'class': 'pdd' }, svg, el('figcaption', { text: 'Post-dial delay (INVITE to first 18x) of ' + plural(total, 'call') }));
	}
	function kpiSection(k, inputs) {
		var sec = el('section', { 'class': 'kpis', id: 'kpis' }, el('h2', { text: 'KPIs' }));
		if (!k.total) return sec;
		var head = ['', 'attempts', 'answered', 'ASR', 'NER', 'ACD', 'PDD p50', 'PDD p95', 'PDD max', 'setup p50', 'setup p95',
			'reg ok', 'retrans', 'final responses'];
		var rows = [kpiRow(inputs.length > 1 ? 'all inputs' : 'all', k.total)];
		if (inputs.length > 1)
			(k.inputs || []).forEach(function (x, i) { rows.push(kpiRow(inputs[i].path, x)); });
		var peers = (k.peers || []).map(function (x) { return kpiRow(x.key, x); });
		sec.appendChild(el('div', { 'class': 'tablebox' }, el('table', { 'class': 'figures kpi' },
			el('thead', {}, el('tr', {}, head.map(function (h) { return el('th', { text: h }); }))),
			el('tbody', {}, rows),
			peers.length ? el('tbody', { 'class': 'peers' }, el('tr', {}, el('th', { colspan: head.length, text: 'by peer host' })), peers) : null)));
		if (k.peersNotShown) sec.appendChild(el('p', { 'class': 'muted', text: plural(k.peersNotShown, 'more host') + ' not shown (the JSON report has them all).' }));
		sec.appendChild(pddChart(k.pddEdges || [], k.pddBins || []));
		return sec;
	}

	function reportPage() {
		var rows = data('sa-rows') || [];
		rows.sort(function (a, b) { return a[1] - b[1] || a[0] - b[0]; });
		var inputs = page.inputs || [], sum = page.summary || {};
		var byNumber = {};
		rows.forEach(function (r, i) { byNumber[r[0] + ':' + r[1]] = i; });
		var multi = inputs.length > 1;

		app.appendChild(el('header', { 'class': 'pagehead' },
			el('h1', { text: 'sipaudit report' }),
			el('p', { 'class': 'totals' },
				el('span', { 'class': 'sev sev-error', text: plural(sum.error || 0, 'error') }), ' ',
				el('span', { 'class': 'sev sev-warning', text: plural(sum.warning || 0, 'warning') }), ' ',
				el('span', { 'class': 'sev sev-info', text: (sum.info || 0) + ' info' }),
				' in ' + plural(sum.calls || 0, 'call') + (multi ? ' from ' + inputs.length + ' files' : '')),
			inputs.length > 3 ?
				el('details', { 'class': 'muted' }, el('summary', { text: 'sipaudit ' + (page.version || '') + ' \u00b7 ' + inputs.length + ' inputs' }),
					el('p', { text: inputs.map(function (i) { return i.path; }).join(', ') })) :
				el('p', { 'class': 'muted', text: 'sipaudit ' + (page.version || '') + ' \u00b7 ' + inputs.map(function (i) { return i.path; }).join(', ') }),
			el('nav', { 'class': 'toc' }, el('a', { href: '#triage', text: 'Triage' }), ' \u00b7 ',
				el('a', { href: '#kpis', text: 'KPIs' }), ' \u00b7 ',
				el('a', { href: '#inputs', text: inputs.length > 1 ? 'Inputs and findings' : 'Findings' }), ' \u00b7 ',
				el('a', { href: '#calls', text: 'Calls' }))));

		/* triage: the largest groups by severity, the hosts most findings point at */
		var tri = el('section', { 'class': 'triage', id: 'triage' }, el('h2', { text: 'Triage' }));
		var groups = page.groups || [];
		if (!groups.length) tri.appendChild(el('p', { text: 'No findings.' }));
		[2, 1, 0].forEach(function (s) {
			var gs = groups.filter(function (g) { return g.sev === s; });
			if (!gs.length) return;
			var merged = {};
			gs.forEach(function (g) { var k = g.rule + ' ' + g.group; merged[k] = (merged[k] || 0) + g.n; });
			var keys = Object.keys(merged).sort(function (a, b) { return merged[b] - merged[a]; });
			var total = keys.reduce(function (a, k) { return a + merged[k]; }, 0);
			tri.appendChild(el('p', {}, sevBadge(s), ' ' + plural(keys.length, 'group') + ', ' + plural(total, 'finding') + ': ',
				keys.slice(0, 5).map(function (k, i) { return [i ? ', ' : '', el('code', { text: k }), ' (' + merged[k] + ')']; }),
				keys.length > 5 ? ', ' + (keys.length - 5) + ' more' : ''));
		});
		if ((page.hosts || []).length)
			tri.appendChild(el('p', {}, el('b', { text: 'most affected hosts: ' }),
				page.hosts.map(function (h, i) {
					var parts = [];
					if (h[1]) parts.push(plural(h[1], 'error'));
					if (h[2]) parts.push(plural(h[2], 'warning'));
					if (h[3]) parts.push(h[3] + ' info');
					return [i ? ', ' : '', el('code', { text: h[0] }), ' (' + parts.join(', ') + ')'];
				})));
		app.appendChild(tri);
		app.appendChild(kpiSection(page.kpis || {}, inputs));

		/* per input: summary line, problems, findings grouped by cause */
		app.appendChild(el('span', { id: 'inputs' }));
		inputs.forEach(function (inp, ii) {
			var sec = el('section', { 'class': 'input' }, el('h2', { text: inp.path }));
			var kinds = Object.keys(inp.kinds).map(function (k) { return inp.kinds[k] + ' ' + k; }).join(', ');
			var states = Object.keys(inp.states).map(function (k) { return inp.states[k] + ' ' + k; }).join(', ');
			sec.appendChild(el('p', { text: inp.packets + ' packets, ' + inp.sip + ' SIP messages, ' + inp.malformed + ' malformed, ' +
				plural(inp.calls, 'call') + (inp.calls ? ' (by kind: ' + kinds + '; by state: ' + states + ')' : '') +
				(inp.tls ? ', ' + inp.tls + ' TLS flows not decrypted' : '') +
				(inp.rtp || inp.rtcp ? ', ' + inp.rtp + ' RTP and ' + inp.rtcp + ' RTCP packets' : '') +
				(inp.unmatchedMedia ? ', ' + plural(inp.unmatchedMedia, 'RTP stream') + ' no call explained' : '') }));
			if (inp.problems.length) {
				var pl = el('ul', { 'class': 'problems' });
				inp.problems.forEach(function (p) { pl.appendChild(el('li', { text: p })); });
				if (inp.problemsDropped) pl.appendChild(el('li', { text: inp.problemsDropped + ' more not listed' }));
				sec.appendChild(el('details', {}, el('summary', { text: plural(inp.problems.length + inp.problemsDropped, 'problem') + ' reading the input' }), pl));
			}
			var gl = el('div', { 'class': 'groups' });
			groups.filter(function (g) { return g.input === ii; }).forEach(function (g) {
				var d = el('details', { 'class': 'group sev-' + SEV[g.sev], open: g.sev >= 1 && groups.length <= 30 ? '' : null },
					el('summary', {}, sevBadge(g.sev), ' ', el('code', { text: g.rule }), ' ', g.group || '', el('span', { 'class': 'count', text: ' \u00d7' + g.n })));
				var f = g.first;
				var li = findingItem(f, 0, function () { openCall(f.call, ii); });
				if (f.call) li.querySelector('.fhead').appendChild(callLink(f.call, ii));
				d.appendChild(el('ol', { 'class': 'findings' }, li));
				if (g.more.length) {
					var t = el('table', { 'class': 'more' });
					g.more.forEach(function (m) {
						t.appendChild(el('tr', {}, el('td', {}, m[0] ? callLink(m[0], ii) : '-'), el('td', { text: 'frame ' + m[1] }), el('td', { text: m[2] })));
					});
					d.appendChild(el('p', { 'class': 'muted', text: 'same rule and cause: the other ' + (g.n - 1) + (g.n - 1 > g.more.length ? ' (the first ' + g.more.length + ' listed)' : '') + ':' }));
					d.appendChild(t);
				}
				gl.appendChild(d);
			});
			sec.appendChild(gl);
			app.appendChild(sec);
		});

		/* the calls table, paged */
		var PAGE = 50, pageNo = 0, filtered = rows;
		var q = el('input', { type: 'search', placeholder: 'filter: number, URI, Call-ID, state, status\u2026', 'class': 'filter', 'aria-label': 'filter calls' });
		var onlyF = el('input', { type: 'checkbox', id: 'only-findings' });
		var info = el('span', { 'class': 'pageinfo' });
		var prev = el('button', { type: 'button', 'class': 'prev', text: '\u2190 previous' });
		var next = el('button', { type: 'button', 'class': 'next', text: 'next \u2192' });
		var tbody = el('tbody');
		var cols = ['#'].concat(multi ? ['input'] : []).concat(['start', 'from', 'to', 'kind', 'state', 'status', 'duration', 'findings', 'RTP', 'legs']);
		var table = el('table', { 'class': 'calls' }, el('thead', {}, el('tr', {}, cols.map(function (c) { return el('th', { text: c }); }))), tbody);
		var view = el('div', { 'class': 'ladderview', id: 'ladderview' });
		var b = page.budget || {};
		app.appendChild(el('section', { 'class': 'callsec', id: 'calls' }, el('h2', { text: 'Calls (' + rows.length + ')' }),
			el('p', { 'class': 'muted budget', text: 'Click a call to open its ladder. Ladders in this page: ' + b.embedded + ' of ' + rows.length +
				' calls (' + (b.bytes / 1048576).toFixed(1) + ' of ' + (b.limit / 1048576).toFixed(0) + ' MB' +
				(b.skipped ? '; past half of it only calls with findings, then none: run sipaudit --ladder N --format html for the others' : '') + ').' }),
			el('div', { 'class': 'controls' }, q, ' ', el('label', {}, onlyF, ' with findings only'), ' ', prev, ' ', info, ' ', next),
			el('div', { 'class': 'tablebox' }, table), view));
		function refilter() {
			var s = q.value.trim().toLowerCase(), of = onlyF.checked;
			filtered = rows.filter(function (r) {
				if (of && !r[9]) return false;
				if (!s) return true;
				return ('#' + r[0] + ' ' + r[3] + ' ' + r[4] + ' ' + r[5] + ' ' + r[6] + ' ' + r[7] + ' ' + r[15]).toLowerCase().indexOf(s) >= 0;
			});
			pageNo = 0;
			draw();
		}
		function draw() {
			var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
			if (pageNo >= pages) pageNo = pages - 1;
			while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
			filtered.slice(pageNo * PAGE, pageNo * PAGE + PAGE).forEach(function (r) {
				var media = r[11] ? r[11] + (r[12] !== null ? ', loss ' + r[12] + '%' : '') + (r[13] !== null ? ', MOS ' + r[13] : '') : '-';
				var cells = [el('td', {}, callLink(r[0], r[1]))].concat(multi ? [el('td', { 'class': 'uri', text: base(r[1]), title: inputs[r[1]] ? inputs[r[1]].path : '' })] : []).concat([
					el('td', { text: new Date(r[2]).toISOString().slice(11, 23) }),
					el('td', { 'class': 'uri', text: noUri(r[3]), title: r[3] }), el('td', { 'class': 'uri', text: noUri(r[4]), title: r[4] }),
					el('td', { text: r[5] }), el('td', { 'class': 'state st-' + r[6], text: r[6] }), el('td', { text: r[7] || '-' }),
					el('td', { text: dur(r[8]) }),
					el('td', {}, r[9] ? el('span', { 'class': 'sev sev-' + SEV[r[10]], text: r[9] }) : '-'),
					el('td', { text: media }),
					el('td', {}, r[16].map(function (n, i) { return [i ? ' ' : '', callLink(n, r[1])]; }))]);
				tbody.appendChild(el('tr', { 'class': 'row' + (r[14] ? '' : ' noladder'), 'data-call': r[0], 'data-input': r[1],
					onclick: function (ev) { if (ev.target.tagName !== 'A') openCall(r[0], r[1]); } }, cells));
			});
			info.textContent = 'page ' + (pageNo + 1) + ' of ' + pages + ' (' + filtered.length + ' calls)';
			prev.disabled = pageNo === 0;
			next.disabled = pageNo >= pages - 1;
		}
		prev.addEventListener('click', function () { if (pageNo > 0) { pageNo--; draw(); } });
		next.addEventListener('click', function () { pageNo++; draw(); });
		q.addEventListener('input', refilter);
		onlyF.addEventListener('change', refilter);

		function callLink(n, input) {
			return el('a', { href: '#call-' + n + (multi ? '-' + input : ''), 'class': 'calllink', text: '#' + n,
				onclick: function (ev) { ev.preventDefault(); openCall(n, input); } });
		}
		function openCall(n, input) {
			if (n === null || n === undefined) return;
			var i = byNumber[n + ':' + (input || 0)];
			var r = i === undefined ? null : rows[i];
			while (view.firstChild) view.removeChild(view.firstChild);
			var close = el('button', { type: 'button', 'class': 'close', text: 'close \u00d7', onclick: function () {
				while (view.firstChild) view.removeChild(view.firstChild);
				if (history.replaceState) history.replaceState(null, '', '#');
			} });
			var c = r && r[14] ? data('sa-c' + n) : null;
			if (c) {
				view.appendChild(close);
				view.appendChild(renderCall(c, null, inputs.map(function (x) { return x.path; }), function (leg) { openCall(leg, input); }));
			} else {
				var path = inputs[input || 0] ? inputs[input || 0].path : 'CAPTURE';
				view.appendChild(close);
				view.appendChild(el('div', { 'class': 'noladder-msg' },
					el('h2', { text: 'Call #' + n }),
					el('p', { text: r ? 'This call\'s ladder is not in the page (the page keeps at most ' + (b.limit / 1048576).toFixed(0) +
						' MB of ladders). Draw it with:' : 'This call is not in the calls table.' }),
					r ? el('pre', { 'class': 'cmd', text: 'sipaudit --ladder ' + n + ' --format html -o call-' + n + '.html ' + shq(path) }) : null));
			}
			if (history.replaceState) history.replaceState(null, '', '#call-' + n + (multi ? '-' + (input || 0) : ''));
			view.scrollIntoView({ block: 'start' });
		}
		function base(i) { var p = inputs[i] ? inputs[i].path : String(i); return p.slice(p.lastIndexOf('/') + 1); }
		function shq(s) { return /^[\w@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'"; }
		draw();
		var m = /^#call-(\d+)(?:-(\d+))?$/.exec(location.hash);
		if (m) openCall(+m[1], m[2] ? +m[2] : 0);
		window.sipaudit = { openCall: openCall, rows: rows };
		document.body.setAttribute('data-ready', '1');
	}

	if (page.page === 'ladder') ladderPage();
	else if (page.page === 'report') reportPage();
})();
