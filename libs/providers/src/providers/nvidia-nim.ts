import { openAICompatible } from './base.js';

// NVIDIA's hosted NIM catalogue; a self-hosted NIM container is the same API at its own api_base.
export const nvidiaNim = openAICompatible({ name: 'nvidia_nim', defaultBaseUrl: 'https://integrate.api.nvidia.com/v1' });
