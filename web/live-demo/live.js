// The live transcription page. Over a WebSocket: the microphone, through an
// AudioWorklet that turns it into 16 kHz 16-bit PCM (pcm-worklet.js), to the
// API's live socket. Over WebRTC: webrtc.js. The frames that come back are
// the same either way.
'use strict';
(function () {
  var form = document.getElementById('start');
  var stopButton = document.getElementById('stop');
  var statusLine = document.getElementById('status');
  var finals = document.getElementById('finals');
  var partial = document.getElementById('partial');
  var session = null;

  function say(text) {
    statusLine.textContent = text;
  }

  /** What a frame shows; `onReady` starts the audio where the page sends it itself. */
  function show(frame, onReady) {
    if (frame.type === 'ready') {
      say('listening (backend ' + frame.backend_used + ')');
      if (onReady) onReady();
    } else if (frame.type === 'delta') {
      if (frame.is_final) {
        finals.textContent = (finals.textContent + ' ' + frame.text).trim();
        partial.textContent = '';
      } else {
        partial.textContent = frame.text;
      }
    } else if (frame.type === 'closed') {
      say('stopped: ' + Math.round(frame.audio_ms / 1000) + ' s streamed');
    } else if (frame.type === 'error') {
      say('error: ' + frame.message);
    }
  }

  function gone(event) {
    if (event.code !== 1000) say('closed (' + event.code + ') ' + event.reason);
    ended();
  }

  async function startSocket(token) {
    var media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    var audio = new AudioContext();
    await audio.audioWorklet.addModule('/demo/live/assets/pcm-worklet.js');
    var source = audio.createMediaStreamSource(media);
    var pcm = new AudioWorkletNode(audio, 'pcm16', { processorOptions: { targetRate: 16000 } });
    var scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    var ws = new WebSocket(scheme + '://' + location.host + '/v1/modules/scaiecho/stream/transcribe?access_token=' + encodeURIComponent(token));
    ws.binaryType = 'arraybuffer';
    var release = function () {
      media.getTracks().forEach(function (t) { t.stop(); });
      audio.close();
    };
    session = {
      stop: function () {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
      },
      abandon: release,
    };
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: 'open', language: 'en', sample_rate: 16000 }));
    };
    ws.onmessage = function (event) {
      show(JSON.parse(event.data), function () {
        pcm.port.onmessage = function (e) {
          if (ws.readyState === WebSocket.OPEN) ws.send(e.data);
        };
        source.connect(pcm);
      });
    };
    ws.onclose = function (event) {
      release();
      gone(event);
    };
  }

  async function startWebrtc(token) {
    session = await window.liveWebrtc.start(token, function (frame) { show(frame); }, gone);
  }

  function ended() {
    session = null;
    stopButton.disabled = true;
    document.getElementById('go').disabled = false;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    document.getElementById('go').disabled = true;
    stopButton.disabled = false;
    say('connecting');
    var token = document.getElementById('token').value;
    var started = document.getElementById('transport').value === 'webrtc' ? startWebrtc(token) : startSocket(token);
    started.catch(function (err) {
      say('error: ' + err.message);
      if (session) session.abandon();
      ended();
    });
  });
  stopButton.addEventListener('click', function () {
    if (session) session.stop();
  });
})();
