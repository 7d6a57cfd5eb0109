// A POST through XMLHttpRequest, for browsers: fetch cannot report how much of a request body has been sent
// (streaming request bodies need HTTP/2), XHR's upload events can. Used only when a caller asks for upload progress.

export interface UploadProgress {
  /** Bytes of the request body sent so far. */
  loaded: number;
  /** The whole body's size in bytes. */
  total: number;
}

export interface RawResponse {
  status: number;
  statusText: string;
  text: string;
}

export function xhrPost(url: string, init: { headers: Headers; body: BodyInit; signal?: AbortSignal; onUploadProgress: (progress: UploadProgress) => void }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    init.signal?.throwIfAborted();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    init.headers.forEach((value, key) => xhr.setRequestHeader(key, value));
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) init.onUploadProgress({ loaded: event.loaded, total: event.total });
    });
    const onAbort = () => xhr.abort();
    init.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => init.signal?.removeEventListener("abort", onAbort);
    xhr.addEventListener("load", () => {
      done();
      resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText });
    });
    xhr.addEventListener("error", () => {
      done();
      reject(new TypeError("Failed to fetch"));
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(init.signal?.reason ?? new DOMException("The upload was aborted", "AbortError"));
    });
    xhr.send(init.body as XMLHttpRequestBodyInit);
  });
}
