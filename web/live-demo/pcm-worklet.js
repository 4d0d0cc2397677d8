// AudioWorklet: the microphone's float samples, at the context's rate, to
// 16-bit mono PCM at the target rate (averaging each run of input samples
// that one output sample stands for), posted about every 100 ms.
'use strict';
class Pcm16 extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.ratio = sampleRate / options.processorOptions.targetRate;
    this.out = new Int16Array(Math.round(options.processorOptions.targetRate / 10));
    this.filled = 0;
    this.sum = 0;
    this.count = 0;
    this.pos = 0;
  }

  process(inputs) {
    var channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (var i = 0; i < channel.length; i++) {
      this.sum += channel[i];
      this.count += 1;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        var s = Math.max(-1, Math.min(1, this.sum / this.count));
        this.out[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
        this.sum = 0;
        this.count = 0;
        if (this.filled === this.out.length) {
          this.port.postMessage(this.out.buffer.slice(0));
          this.filled = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('pcm16', Pcm16);
