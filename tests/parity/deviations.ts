// Where mmrag deliberately does not do what the reference code does (models/README.md gives each one's
// measured effect). For these images mmrag must equal the reference run on the corrected copy (upright,
// sRGB, alpha flattened on white); for every other image the reference gives the same vector on the
// original file and on the corrected copy, so mmrag equals the reference on the file as users have it.
import type { Family } from "./support.js";

const COMMON = {
  "exif6-640x480.jpg": "EXIF orientation applied (the reference embeds the image lying on its side)",
  "p3-640x480.jpg": "embedded ICC profile honoured: Display-P3 converted to sRGB (the reference reads P3 values as sRGB)",
  "cmyk-640x480.jpg": "CMYK converted through colour profiles (the reference's convert('RGB') is naive)",
  "rgba-600x400.png": "alpha flattened on white (the reference drops alpha, showing whatever colour transparent pixels hide)",
};

export const DEVIATIONS: Record<Family, Record<string, string>> = {
  "visualized-bge": {
    ...COMMON,
    "palette-500x400.png": "palette converted to RGB before the bicubic resize (the reference resizes palette indices with NEAREST)",
  },
  // CLIPImageProcessor converts to RGB before resizing, so palette images agree.
  clip: COMMON,
};
